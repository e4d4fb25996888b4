/**
 * docs/openapi.json is self-contained: a copy of it alone, in an empty folder, as an
 * integrator downloads it, lints with the Redocly CLI and loads in Stoplight Prism, which
 * then mocks and validates requests from it. The events schema is bundled in
 * (tools/openapi/document.ts); a `$ref` to a file beside it would fail both.
 */
import { spawn, type ChildProcessByStdio } from 'node:child_process';
import { copyFileSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import type { Readable } from 'node:stream';
import { freePort } from '../../tools/ports';
import { waitFor } from '../support/wait';

const ROOT = resolve(__dirname, '../..');
const bin = (path: string) => join(ROOT, 'node_modules', path);

let dir: string;
let copy: string;
beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'imchannel-openapi-copy-'));
  copy = join(dir, 'openapi.json');
  copyFileSync(join(ROOT, 'docs/openapi.json'), copy);
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function run(args: string[]): Promise<{ code: number | null; output: string }> {
  return new Promise((done, fail) => {
    const child = spawn(process.execPath, args, { cwd: dir, stdio: ['ignore', 'pipe', 'pipe'] });
    let output = '';
    child.stdout.on('data', (chunk: Buffer) => (output += chunk.toString('utf8')));
    child.stderr.on('data', (chunk: Buffer) => (output += chunk.toString('utf8')));
    child.on('error', fail);
    child.on('exit', (code) => done({ code, output }));
  });
}

describe('a copy of docs/openapi.json alone', () => {
  it('refers to nothing outside itself', () => {
    const refs = [...readFileSync(copy, 'utf8').matchAll(/"\$ref": "([^"]*)"/g)].map((m) => m[1] ?? '');
    expect(refs.length).toBeGreaterThan(10);
    expect(refs.filter((ref) => !ref.startsWith('#/'))).toEqual([]);
    expect(readdirSync(dir)).toEqual(['openapi.json']);
  });

  it('passes redocly lint with the project rules', async () => {
    const { code, output } = await run([bin('@redocly/cli/bin/cli.js'), 'lint', copy, '--config', join(ROOT, 'redocly.yaml')]);
    expect({ code, output }).toMatchObject({ code: 0 });
    expect(output).toContain('Woohoo! Your API description is valid.');
  }, 60_000);

  it('loads in Prism, which mocks the send routes and validates requests against it', async () => {
    const port = await freePort();
    const prism: ChildProcessByStdio<null, Readable, Readable> = spawn(
      process.execPath,
      [bin('@stoplight/prism-cli/dist/index.js'), 'mock', copy, '--host', '127.0.0.1', '--port', String(port)],
      { cwd: dir, stdio: ['ignore', 'pipe', 'pipe'] },
    );
    let output = '';
    prism.stdout.on('data', (chunk: Buffer) => (output += chunk.toString('utf8')));
    prism.stderr.on('data', (chunk: Buffer) => (output += chunk.toString('utf8')));
    const exited = new Promise<void>((done) => prism.once('exit', () => done()));
    try {
      await waitFor(() => output.includes('Prism is listening') || prism.exitCode !== null, 45_000, 'Prism to listen');
      expect(output).toContain('Prism is listening');
      const send = (body: unknown) =>
        fetch(`http://127.0.0.1:${port}/imchannel/sendMessage`, {
          method: 'POST',
          headers: { authorization: 'Bearer any', 'content-type': 'application/json' },
          body: JSON.stringify(body),
        });

      const valid = await send({ to: '39123456789', text: 'Hello' });
      const invalid = await send({ text: 'no recipient' });

      expect(valid.status).toBe(200);
      expect(Object.keys((await valid.json()) as object)).toEqual(expect.arrayContaining(['messageId', 'to', 'status']));
      expect(invalid.status).toBe(422); // Prism's answer to a request its description refuses
    } finally {
      prism.kill('SIGTERM');
      await exited;
    }
  }, 90_000);
});
