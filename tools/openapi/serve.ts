/**
 * The local stack's docs server: at its root the API reference page (Redoc, ./page.ts),
 * and docs/openapi.json and the events schema, as committed (read on each request, so
 * `npm run openapi` shows at once), for a browser, a client generator or ctlive's
 * developers. Local only; nothing is deployed with it.
 */
import { readFile, stat } from 'node:fs/promises';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { DOCS_DIR } from './build';
import { EVENTS_SCHEMA_FILE, OPENAPI_FILE } from './document';
import { renderApiPage } from './page';

export interface DocsServer {
  /** e.g. http://127.0.0.1:8076; the document is at `${url}/openapi.json`. */
  url: string;
  close(): Promise<void>;
}

const SERVED: Record<string, string> = {
  [`/${OPENAPI_FILE}`]: OPENAPI_FILE,
  [`/${EVENTS_SCHEMA_FILE}`]: EVENTS_SCHEMA_FILE,
};

const PAGE_PATHS = new Set(['/', '/index.html']);

/**
 * The page, built on first need (a few seconds) and again when docs/openapi.json changes;
 * concurrent visits share one build.
 */
function pageCache() {
  let built: { mtimeMs: number; page: Promise<Buffer> } | undefined;
  return async (): Promise<Buffer> => {
    const { mtimeMs } = await stat(join(DOCS_DIR, OPENAPI_FILE));
    if (built === undefined || built.mtimeMs !== mtimeMs) {
      const page = renderApiPage();
      built = { mtimeMs, page };
      page.catch(() => {
        if (built?.page === page) built = undefined; // the next visit tries again
      });
    }
    return built.page;
  };
}

export async function startDocsServer(options: { port?: number; host?: string } = {}): Promise<DocsServer> {
  const host = options.host ?? '127.0.0.1';
  const page = pageCache();
  const server = createServer((req, res) => {
    const path = (req.url ?? '/').split('?')[0] ?? '';
    const file = SERVED[path];
    const readable = req.method === 'GET' || req.method === 'HEAD';
    if (readable && PAGE_PATHS.has(path)) {
      page().then(
        (html) => {
          res.writeHead(200, {
            'content-type': 'text/html; charset=utf-8',
            'content-length': html.length,
            'cache-control': 'no-store',
          });
          res.end(req.method === 'HEAD' ? undefined : html);
        },
        (error: unknown) =>
          res
            .writeHead(500, { 'content-type': 'text/plain; charset=utf-8' })
            .end(`The API page could not be built: ${error instanceof Error ? error.message : String(error)}\n`),
      );
      return;
    }
    if (!readable || file === undefined) {
      res.writeHead(404, { 'content-type': 'application/json' }).end(
        JSON.stringify({
          error: { code: 'NOT_FOUND', message: `Try GET / (the API page), /${OPENAPI_FILE} or /${EVENTS_SCHEMA_FILE}` },
        }),
      );
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
