import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { DOCS_DIR } from '../../tools/openapi/build';
import { startDocsServer, type DocsServer } from '../../tools/openapi/serve';

/** The local stack's docs server hands out the committed files, byte for byte. */
describe('the docs server', () => {
  let docs: DocsServer;
  beforeAll(async () => {
    docs = await startDocsServer();
  });
  afterAll(() => docs.close());

  it.each(['openapi.json', 'ctlive-events.schema.json'])('serves docs/%s as committed', async (name) => {
    const res = await fetch(`${docs.url}/${name}`);
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toBe('application/json');
    expect(await res.text()).toBe(readFileSync(join(DOCS_DIR, name), 'utf8'));
  });

  it('serves the API reference page at its root: Redoc rendered from docs/openapi.json, its script inline', async () => {
    const res = await fetch(`${docs.url}/`);
    const html = await res.text();

    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toBe('text/html; charset=utf-8');
    expect(html).toContain('<title>IMChannel API</title>');
    // Prerendered, so it reads before any script runs: every route's operation is on the page.
    const document = JSON.parse(readFileSync(join(DOCS_DIR, 'openapi.json'), 'utf8')) as { paths: Record<string, unknown> };
    for (const path of Object.keys(document.paths)) expect(html).toContain(path);
    expect(html).toContain('hydrate(');
    expect(html).not.toMatch(/import \{ hydrate \} from "https?:/); // no CDN needed
    expect((await fetch(`${docs.url}/index.html`, { method: 'HEAD' })).status).toBe(200);
  }, 60_000);

  it('answers HEAD with the headers only, and 404 to anything else', async () => {
    const head = await fetch(`${docs.url}/openapi.json`, { method: 'HEAD' });
    expect(head.status).toBe(200);
    expect(Number(head.headers.get('content-length'))).toBe(readFileSync(join(DOCS_DIR, 'openapi.json')).length);
    expect((await fetch(`${docs.url}/../package.json`)).status).toBe(404);
    expect((await fetch(`${docs.url}/openapi.json`, { method: 'POST' })).status).toBe(404);
  });
});
