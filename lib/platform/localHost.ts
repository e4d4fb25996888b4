/**
 * The local stack answers only requests addressed to this machine by a local name. A web
 * page can make a browser send requests to any name it controls and then point that name at
 * 127.0.0.1 (DNS rebinding); the browser still sends the page's own name as `Host`, so
 * refusing every other `Host` keeps such a page away from the published local credentials.
 */
const LOCAL_NAMES = /^(?:localhost|127(?:\.(?:25[0-5]|2[0-4]\d|1?\d?\d)){3}|\[::1\])$/;

/** Whether a `Host` header names this machine (localhost, 127.x.x.x, [::1]), with or without a port. */
export function isLocalHost(host: string | undefined): boolean {
  if (host === undefined) return false;
  const name = host
    .trim()
    .toLowerCase()
    .replace(/:\d{1,5}$/, '');
  return LOCAL_NAMES.test(name);
}

/** The answer's message, the same from every local server. */
export const FOREIGN_HOST_MESSAGE =
  'The local stack answers only requests to localhost or 127.0.0.1 (Host header); use one of those names';
