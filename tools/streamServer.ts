/**
 * The local stack's stand-in for the fetch functions' streaming Lambda Function URLs
 * (`MEDIA_FETCH_MODE=stream`). serverless-offline calls every handler the
 * buffered way (`handler(event, context, callback)`, even one marked by
 * `awslambda.streamifyResponse`), and a buffered answer holds the whole file, so it cannot
 * serve a 100 MB document as Lambda's response streaming does. This server runs the same
 * streaming code as the functions on AWS (lib/media/fetch.ts, `wireMediaFetch`), in a
 * process of its own with the functions' environment, at the same URL shape as a Function
 * URL: `<MEDIA_STREAM_URL>/get{Kind}Message/<id>`.
 *
 * Run by tools/stack.ts: `node --import tsx tools/streamServer.ts <port>`.
 */
import { randomUUID } from 'node:crypto';
import { refuseForeignHost } from './localHostGuard';
import { createServer } from 'node:http';
import type { Context } from 'aws-lambda';
import { wireMediaFetch } from '../lib/media/fetch';
import { MEDIA_KIND_NAMES, MEDIA_KINDS } from '../lib/media/kinds';
import { functionUrlEvent } from './functionUrlEvent';

function contextFor(functionName: string): Context {
  const requestId = randomUUID();
  return {
    callbackWaitsForEmptyEventLoop: false,
    functionName,
    functionVersion: '$LATEST',
    invokedFunctionArn: `arn:aws:lambda:local:000000000000:function:${functionName}`,
    memoryLimitInMB: '512',
    awsRequestId: requestId,
    logGroupName: `/aws/lambda/${functionName}`,
    logStreamName: 'local',
    getRemainingTimeInMillis: () => 15_000,
    done: () => undefined,
    fail: () => undefined,
    succeed: () => undefined,
  };
}

/** `/<route>/<id>` to the kind's fetch; wired here, once, like a cold start of each function. */
function main() {
  const port = Number(process.argv[2] ?? 0);
  const byRoute = new Map(MEDIA_KIND_NAMES.map((kind) => [MEDIA_KINDS[kind].route, { kind, wired: wireMediaFetch(kind) }]));
  const server = createServer((req, res) => {
    if (refuseForeignHost(req, res)) return;
    const host = req.headers.host ?? `127.0.0.1:${port}`;
    const segments = new URL(req.url ?? '/', `http://${host}`).pathname.split('/').filter(Boolean);
    const target = segments.length === 2 ? byRoute.get(segments[0] ?? '') : undefined;
    if (target === undefined) {
      res.writeHead(404, { 'content-type': 'application/json', 'cache-control': 'no-store' });
      res.end(
        JSON.stringify({ error: { code: 'NOT_FOUND', message: 'No such route: use /get{Kind}Message/<id>', retryable: false } }),
      );
      return;
    }
    const { fetchTag } = MEDIA_KINDS[target.kind];
    const open = (statusCode: number, headers: Record<string, string>) => {
      res.writeHead(statusCode, headers);
      return res;
    };
    target.wired({ event: functionUrlEvent(req, host), open }, contextFor(`imchannel-local-${fetchTag}`)).catch(() => {
      // The function could not start (its one line is logged): what Lambda answers then.
      if (!res.headersSent) res.writeHead(502, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ message: 'Internal Server Error' }));
    });
  });
  server.listen(port, '127.0.0.1', () => process.stdout.write(`[stack] streaming fetch route listening on port ${port}\n`));
  const stop = () => server.close(() => process.exit(0));
  process.on('SIGTERM', stop);
  process.on('SIGINT', stop);
  // The stack that started it went away without stopping it: stop too.
  const parent = process.ppid;
  setInterval(() => {
    if (process.ppid !== parent) stop();
  }, 1_000).unref();
}

if (require.main === module) main();
