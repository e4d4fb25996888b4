/**
 * The API reference page for integrators: docs/openapi.json rendered by Redoc, built with
 * the Redocly CLI the project already has (`redocly build-docs --inlineBundle`, so Redoc's
 * script is in the page and it needs no CDN). `npm run docs` writes it to api-docs/
 * (git-ignored); the local stack's docs server builds it on the first visit of its root.
 */
import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdir, readFile, rm } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { DOCS_DIR } from './build';
import { OPENAPI_FILE } from './document';

const ROOT = resolve(__dirname, '../..');
const REDOCLY_BIN = join(ROOT, 'node_modules/@redocly/cli/bin/cli.js');
/** Where `npm run docs` writes the page. */
export const API_PAGE_DIR = join(ROOT, 'api-docs');
export const API_PAGE_TITLE = 'IMChannel API';

/** Builds the page of docs/openapi.json (or `openapi`) into `outFile`; rejects with Redocly's output on failure. */
export function buildApiPage(outFile: string, openapi = join(DOCS_DIR, OPENAPI_FILE)): Promise<void> {
  const args = [REDOCLY_BIN, 'build-docs', openapi, '--inlineBundle', '--title', API_PAGE_TITLE, '--output', outFile];
  return new Promise((done, fail) => {
    // Run from the root so that redocly.yaml (telemetry off) applies.
    const child = spawn(process.execPath, args, { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'] });
    let output = '';
    child.stdout.on('data', (chunk: Buffer) => (output += chunk.toString('utf8')));
    child.stderr.on('data', (chunk: Buffer) => (output += chunk.toString('utf8')));
    child.on('error', fail);
    child.on('exit', (code) => (code === 0 ? done() : fail(new Error(`redocly build-docs failed (exit ${code}):\n${output}`))));
  });
}

/** The page as bytes, built in the tree's git-ignored .imchannel/ and removed from there. */
export async function renderApiPage(): Promise<Buffer> {
  const dir = join(ROOT, '.imchannel');
  await mkdir(dir, { recursive: true });
  const file = join(dir, `api-page-${randomBytes(6).toString('hex')}.html`);
  try {
    await buildApiPage(file);
    return await readFile(file);
  } finally {
    await rm(file, { force: true });
  }
}

if (require.main === module) {
  const outFile = join(API_PAGE_DIR, 'index.html');
  mkdir(API_PAGE_DIR, { recursive: true })
    .then(() => buildApiPage(outFile))
    .then(
      () => process.stdout.write(`wrote ${join('api-docs', 'index.html')}: open it in a browser\n`),
      (error: unknown) => {
        process.stderr.write(`${error instanceof Error ? error.message : String(error)}\n`);
        process.exit(1);
      },
    );
}
