/**
 * `npm run openapi`: writes docs/openapi.json and docs/ctlive-events.schema.json from the
 * zod schemas (tools/openapi/document.ts). Commit what it writes; the unit tests fail
 * while the committed files differ.
 */
import { writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { renderDocs } from './document';

export const DOCS_DIR = resolve(__dirname, '../../docs');

if (require.main === module) {
  for (const [name, text] of Object.entries(renderDocs())) {
    writeFileSync(join(DOCS_DIR, name), text);
    process.stdout.write(`wrote docs/${name}\n`);
  }
}
