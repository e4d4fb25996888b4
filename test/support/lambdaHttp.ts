import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { HttpEvent, HttpResponse } from '../../lib/platform/http';
import { apiEvent, lambdaContext } from './lambda';

/**
 * A few lines of API Gateway HTTP API for integration tests: real HTTP in, a payload 2.0
 * event to the handler, its result back as HTTP (base64 bodies decoded to bytes, no body
 * for HEAD). Enough for the Infobip sandbox to fetch from handlers over the network.
 */

export type LambdaHttpHandler = (event: HttpEvent, context: ReturnType<typeof lambdaContext>) => Promise<HttpResponse>;

export interface LambdaRoute {
  /** Methods this route answers, e.g. ['GET', 'HEAD']. */
  methods: readonly string[];
  /** A path with `{name}` segments, e.g. `/imchannel/getImageMessage/{id}`. */
  path: string;
  handler: LambdaHttpHandler;
}

export interface LambdaHttp {
  url: string;
  close(): Promise<void>;
}

function match(route: LambdaRoute, method: string, path: string): Record<string, string> | undefined {
  if (!route.methods.includes(method)) return undefined;
  const want = route.path.split('/');
  const got = path.split('/');
  if (want.length !== got.length) return undefined;
  const params: Record<string, string> = {};
  for (const [i, segment] of want.entries()) {
    const value = got[i] ?? '';
    const name = /^\{(\w+)\}$/.exec(segment)?.[1];
    // API Gateway answers an empty path parameter with its own 404, before any Lambda runs.
    if (name !== undefined && value !== '') params[name] = decodeURIComponent(value);
    else if (segment !== value) return undefined;
  }
  return params;
}

function readBody(req: IncomingMessage): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => resolve(Buffer.concat(chunks)));
    req.on('error', reject);
  });
}

/** Routes may be given as a function of the server's base URL, for handlers that must know their own address. */
export async function startLambdaHttp(
  routesOrFactory: readonly LambdaRoute[] | ((baseUrl: string) => readonly LambdaRoute[]),
): Promise<LambdaHttp> {
  let routes: readonly LambdaRoute[] = [];
  const server: Server = createServer((req, res) => {
    void (async () => {
      const method = req.method ?? 'GET';
      const path = (req.url ?? '/').split('?')[0] ?? '/';
      const body = await readBody(req);
      const hit = routes
        .map((route) => ({ route, params: match(route, method, path) }))
        .find((candidate) => candidate.params !== undefined);
      if (!hit?.params) {
        res.writeHead(404, { 'content-type': 'application/json' }).end('{"message":"Not Found"}');
        return;
      }
      const headers: Record<string, string> = {};
      for (const [name, value] of Object.entries(req.headers)) {
        if (value !== undefined) headers[name] = Array.isArray(value) ? value.join(', ') : value;
      }
      const search = new URLSearchParams((req.url ?? '').split('?')[1] ?? '');
      const query = search.size > 0 ? Object.fromEntries(search) : undefined;
      const event = apiEvent({ method, path, headers, pathParameters: hit.params, ...(query ? { query } : {}) });
      event.body = body.length > 0 ? body.toString('utf8') : undefined;
      const result = await hit.route.handler(event, lambdaContext(path.split('/')[2] ?? 'test'));
      const bytes = Buffer.from(result.body ?? '', result.isBase64Encoded ? 'base64' : 'utf8');
      const out: Record<string, string> = {};
      for (const [name, value] of Object.entries(result.headers ?? {})) out[name] = String(value);
      res.writeHead(result.statusCode ?? 200, out);
      res.end(method === 'HEAD' ? undefined : bytes);
    })().catch((error: unknown) => {
      if (!res.headersSent) res.writeHead(502, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ message: 'Internal Server Error', adapterError: String(error) }));
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  const url = `http://127.0.0.1:${port}`;
  routes = typeof routesOrFactory === 'function' ? routesOrFactory(url) : routesOrFactory;
  return {
    url,
    close: async () => {
      const closed = new Promise<void>((resolve) => server.close(() => resolve()));
      server.closeAllConnections();
      await closed;
    },
  };
}
