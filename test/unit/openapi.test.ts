/**
 * docs/openapi.json and docs/ctlive-events.schema.json are generated from the zod schemas
 * (tools/openapi): this regenerates them in memory, so a schema change without
 * `npm run openapi`, or a hand edit of either file, fails here.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { DOCS_DIR } from '../../tools/openapi/build';
import { EVENTS_SCHEMA_FILE, OPENAPI_FILE, openApiDocument, renderDocs } from '../../tools/openapi/document';
import { DEPLOYED_FUNCTIONS } from '../../lib/functions';

describe('the generated API description', () => {
  it.each(Object.entries(renderDocs()))('docs/%s is what `npm run openapi` makes', (name, generated) => {
    const committed = readFileSync(join(DOCS_DIR, name), 'utf8');
    if (committed !== generated) {
      throw new Error(`docs/${name} is not what the zod schemas make: run npm run openapi and commit the result`);
    }
  });

  it('describes every route of the function inventory, and only those', () => {
    const paths = openApiDocument().paths as Record<string, Record<string, unknown>>;
    const routes = Object.entries(paths).flatMap(([path, ops]) => Object.keys(ops).map((m) => `${m.toUpperCase()} ${path}`));
    // A new row in lib/functions.ts fails here until its operation is described.
    const inventory = DEPLOYED_FUNCTIONS.filter((fn) => fn.group !== 'methodNotAllowed').flatMap((fn) =>
      fn.routes.map((route) => `${route.method} ${route.path}`),
    );
    expect(routes.sort()).toEqual([...new Set(inventory)].sort());
  });

  it('bundles the events schema file in, so that the description stands alone', () => {
    const docs = renderDocs();
    const text = docs[OPENAPI_FILE] ?? '';
    const events = JSON.parse(docs[EVENTS_SCHEMA_FILE] ?? '{}') as { oneOf: unknown; $defs: Record<string, unknown> };
    const schemas = (JSON.parse(text) as { components: { schemas: Record<string, unknown> } }).components.schemas;
    expect(text).not.toContain(EVENTS_SCHEMA_FILE);
    expect(text).toContain('"$ref": "#/components/schemas/CtliveEvent"');
    expect(JSON.stringify((schemas.CtliveEvent as { oneOf: unknown }).oneOf)).toBe(
      JSON.stringify(events.oneOf).replaceAll('#/$defs/', '#/components/schemas/'),
    );
    for (const name of Object.keys(events.$defs)) expect(schemas[name]).toBeDefined();
  });
});
