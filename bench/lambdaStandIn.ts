import { createServer, type IncomingMessage } from 'node:http';
import type { AddressInfo } from 'node:net';
import { setMaxListeners } from 'node:events';
import { setTimeout as sleep } from 'node:timers/promises';

/**
 * The Lambda Invoke API as the bench's `lambda:` ctlive target sees it: the route the AWS
 * SDK posts an `InvocationType: Event` invoke to (POST /2015-03-31/functions/{name}/invocations,
 * answered 202 with no body once the event is queued), taking `latencyMs` per event the
 * way ctlive's HTTP endpoint does in the http case. serverless-offline's lambda port speaks
 * the same route, but it runs a whole function per event and its own cost would swamp
 * what is measured here: IMChannel's side of the invoke. Events are kept in arrival order.
 */
export interface LambdaStandIn {
  /** For CTLIVE_LAMBDA_ENDPOINT. */
  url: string;
  /** Payloads, parsed, in the order their invokes arrived. */
  received: Array<{ functionName: string; invocationType: string | undefined; event: unknown }>;
  connections(): number;
  reset(): void;
  close(): Promise<void>;
}

const INVOKE_PATH = /^\/2015-03-31\/functions\/([^/]+)\/invocations$/;

function readBody(req: IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
    req.on('error', reject);
  });
}

export async function startLambdaStandIn(latencyMs: number): Promise<LambdaStandIn> {
  const received: LambdaStandIn['received'] = [];
  let connections = 0;
  const closing = new AbortController();
  // One listener per event held back by the latency: many at once is the point, not a leak.
  setMaxListeners(0, closing.signal);
  const server = createServer((req, res) => {
    void (async () => {
      const match = INVOKE_PATH.exec(req.url?.split('?')[0] ?? '');
      const body = await readBody(req);
      if (req.method !== 'POST' || !match?.[1]) {
        res.writeHead(404, { 'content-type': 'application/json' }).end('{"Message":"not an invoke"}');
        return;
      }
      if (latencyMs > 0) await sleep(latencyMs, undefined, { signal: closing.signal }).catch(() => undefined);
      received.push({
        functionName: decodeURIComponent(match[1]),
        invocationType: req.headers['x-amz-invocation-type'] as string | undefined,
        event: JSON.parse(body) as unknown,
      });
      res.writeHead(202, { 'x-amzn-requestid': `bench-${received.length}` }).end();
    })().catch(() => {
      if (!res.headersSent) res.writeHead(500).end();
    });
  });
  server.on('connection', () => (connections += 1));
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve());
  });
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    received,
    connections: () => connections,
    reset: () => void (received.length = 0),
    close() {
      closing.abort();
      server.closeAllConnections();
      return new Promise((resolve, reject) => server.close((e) => (e ? reject(e) : resolve())));
    },
  };
}
