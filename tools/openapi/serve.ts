/**
 * The local stack's docs server: docs/openapi.json and the events schema it references,
 * as committed (read on each request, so `npm run openapi` shows at once), for a viewer,
 * a client generator or ctlive's developers. Local only; nothing is deployed with it.
 */
import { readFile } from 'node:fs/promises';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { DOCS_DIR } from './build';
import { EVENTS_SCHEMA_FILE, OPENAPI_FILE } from './document';

export interface DocsServer {
  /** e.g. http://127.0.0.1:8076; the document is at `${url}/openapi.json`. */
  url: string;
  close(): Promise<void>;
}

const SERVED: Record<string, string> = {
  [`/${OPENAPI_FILE}`]: OPENAPI_FILE,
  [`/${EVENTS_SCHEMA_FILE}`]: EVENTS_SCHEMA_FILE,
};

export async function startDocsServer(options: { port?: number; host?: string } = {}): Promise<DocsServer> {
  const host = options.host ?? '127.0.0.1';
  const server = createServer((req, res) => {
    const file = SERVED[(req.url ?? '/').split('?')[0] ?? ''];
    if ((req.method !== 'GET' && req.method !== 'HEAD') || file === undefined) {
      res
        .writeHead(404, { 'content-type': 'application/json' })
        .end(JSON.stringify({ error: { code: 'NOT_FOUND', message: `Try GET /${OPENAPI_FILE} or /${EVENTS_SCHEMA_FILE}` } }));
      return;
    }
    readFile(join(DOCS_DIR, file)).then(
      (data) => {
        res.writeHead(200, {
          'content-type': 'application/json',
          'content-length': data.length,
          'cache-control': 'no-store',
          // A viewer on another local port (Swagger UI, Redoc) may read it.
          'access-control-allow-origin': '*',
        });
        res.end(req.method === 'HEAD' ? undefined : data);
      },
      () => res.writeHead(500).end(),
    );
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? 0, host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://${host}:${port}`,
    close: () =>
      new Promise((resolve, reject) => {
        server.closeAllConnections();
        server.close((e) => (e ? reject(e) : resolve()));
      }),
  };
}
