/**
 * Where the Infobip API key may go (CONTRACT section 3): a host on INFOBIP_ALLOWED_HOSTS
 * (`*.api.infobip.com` by default; `*.` matches any deeper name, never the bare domain),
 * over https unless the host is this machine (the local stack's sandbox). The send
 * settings' baseUrl and an inbound file's URL are held to the same rule.
 */

const LOOPBACK = /^(localhost|127(\.\d{1,3}){3}|\[::1\])$/i;

export const isLoopbackHost = (host: string): boolean => LOOPBACK.test(host);

export function hostAllowed(host: string, allowedHosts: readonly string[]): boolean {
  const name = host.toLowerCase();
  return allowedHosts.some((pattern) =>
    pattern.startsWith('*.') ? name.endsWith(pattern.slice(1)) && name.length > pattern.length - 1 : name === pattern,
  );
}

/** https, or http to this machine only. */
export const schemeAllowed = (url: URL): boolean =>
  url.protocol === 'https:' || (url.protocol === 'http:' && isLoopbackHost(url.hostname));
