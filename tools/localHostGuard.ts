import type { IncomingMessage, ServerResponse } from 'node:http';
import { FOREIGN_HOST_MESSAGE, isLocalHost } from '../lib/platform/localHost';

/**
 * Every server of the local stack answers only local names (lib/platform/localHost.ts): a
 * request under any other `Host` gets 403 and reaches nothing, so a web page cannot use the
 * published local credentials through DNS rebinding. True when it answered.
 */
export function refuseForeignHost(req: IncomingMessage, res: ServerResponse): boolean {
  if (isLocalHost(req.headers.host)) return false;
  res.writeHead(403, { 'content-type': 'application/json', 'cache-control': 'no-store' });
  res.end(JSON.stringify({ error: { code: 'HOST_NOT_LOCAL', message: FOREIGN_HOST_MESSAGE, retryable: false } }));
  return true;
}
