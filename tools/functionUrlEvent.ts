/**
 * The event a Lambda Function URL hands a function (payload format 2.0), built from a local
 * HTTP request: the local stack's streaming route (tools/streamServer.ts), the large-file
 * tests and the bench's streaming fetch use it. Imports nothing heavy, so a process that
 * measures memory can use it.
 */
import { randomUUID } from 'node:crypto';
import type { IncomingMessage } from 'node:http';
import type { HttpEvent } from '../lib/platform/http';

/** The event a Function URL hands the function (payload format 2.0), from a local request. */
export function functionUrlEvent(req: IncomingMessage, host: string): HttpEvent {
  const url = new URL(req.url ?? '/', `http://${host}`);
  const headers: Record<string, string> = {};
  for (const [name, value] of Object.entries(req.headers)) {
    if (value !== undefined) headers[name] = Array.isArray(value) ? value.join(',') : value;
  }
  return {
    version: '2.0',
    routeKey: '$default',
    rawPath: url.pathname,
    rawQueryString: url.search.slice(1),
    headers,
    isBase64Encoded: false,
    requestContext: {
      accountId: 'anonymous',
      apiId: 'local',
      // The domain a Function URL event carries, which tells it from an API Gateway one.
      domainName: 'local.lambda-url.local.on.aws',
      domainPrefix: 'local',
      http: {
        method: req.method ?? 'GET',
        path: url.pathname,
        protocol: 'HTTP/1.1',
        sourceIp: req.socket.remoteAddress ?? '127.0.0.1',
        userAgent: req.headers['user-agent'] ?? '',
      },
      requestId: randomUUID(),
      routeKey: '$default',
      stage: '$default',
      time: new Date().toUTCString(),
      timeEpoch: Date.now(),
    },
  };
}
