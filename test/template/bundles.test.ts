import { build } from 'esbuild';
import { spawn } from 'node:child_process';
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { createServer, type IncomingMessage } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { basename, dirname, join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { shippedOptions, shippedPlugins, type EsbuildSettings } from '../../bench/bundleContents';
import { functionEnv, UNUSED_SERVICES, type CtliveTargetKind } from '../../bench/functionEnv';
import { moduleGraph, type ModuleGraph } from '../../bench/moduleGraph';
import { readZipEntries } from '../../bench/zip';
import { DEPLOYED_NAMES, functionsIn } from '../../lib/functions';
import { sdkSignature } from '../support/awsSigner';

/**
 * The artifacts as Lambda gets them: ES modules with code splitting (serverless.yml,
 * custom.esbuild, and resources/esbuildPlugins.js). Each zip must hold exactly the files
 * its handler imports, statically or with import(), and every one of them: a chunk left out
 * breaks the function when its import() runs, long after a deploy looked fine, and a chunk
 * of another function only takes room. The webhooks keep the Lambda client out of what
 * they parse at init. Each handler is then loaded as Lambda's Node runtime loads it.
 */

const ROOT = resolve(__dirname, '..', '..');
const BIN = join(ROOT, 'node_modules', 'osls', 'bin', 'serverless.js');
const PACKAGE_TIMEOUT_MS = 120_000;
const WEBHOOKS = new Set(functionsIn('webhook').map((fn) => fn.name));
/** They forward to ctlive, whose target may be a Lambda function: the client in an import() chunk only. */
const FORWARDERS = new Set([...WEBHOOKS, ...functionsIn('copier').map((fn) => fn.name)]);
/** In the Lambda client's code only (its Smithy service target), kept by minification. */
const LAMBDA_CLIENT_MARK = '"AWSGirApiService"';
/** In the SDK's waiters only, which come with the whole client, never with one command. */
const LAMBDA_WAITER_MARK = 'WaiterConfiguration';
/** esbuild's stand-in for a require() it could not bundle: it throws in an ES module. */
const DYNAMIC_REQUIRE = 'Dynamic require of';

interface Artifact {
  handler: string;
  /** Relative path → contents. */
  files: Map<string, string>;
  dir: string;
  graph: ModuleGraph;
}

let workDir: string;
let esbuildSettings: EsbuildSettings;
const artifacts = new Map<string, Artifact>();

function run(command: string, args: string[], env: NodeJS.ProcessEnv): Promise<{ code: number | null; output: string }> {
  return new Promise((done, fail) => {
    const child = spawn(command, args, { cwd: ROOT, env, stdio: ['ignore', 'pipe', 'pipe'] });
    let output = '';
    child.stdout.on('data', (chunk: Buffer) => (output += chunk.toString('utf8')));
    child.stderr.on('data', (chunk: Buffer) => (output += chunk.toString('utf8')));
    child.on('error', fail);
    child.on('exit', (code) => done({ code, output }));
  });
}

beforeAll(async () => {
  workDir = await mkdtemp(join(tmpdir(), 'imchannel-bundles-'));
  const outDir = join(workDir, 'package');
  // Relative, so that it lands in the tree's git-ignored .esbuild*/ (serverless-esbuild joins an
  // absolute one to the project folder too, which left tmp/<workDir>/ folders in the tree).
  const env: NodeJS.ProcessEnv = { SLS_TELEMETRY_DISABLED: '1', IMCHANNEL_BUILD_DIR: `.esbuild-${basename(workDir)}` };
  for (const name of ['PATH', 'HOME', 'TMPDIR', 'LANG']) if (process.env[name] !== undefined) env[name] = process.env[name];
  const { code, output } = await run(process.execPath, [BIN, 'package', '--stage', 'ci', '--package', outDir], env);
  if (code !== 0) throw new Error(`serverless package failed:\n${output}`);
  const state = JSON.parse(await readFile(join(outDir, 'serverless-state.json'), 'utf8')) as {
    service: { functions: Record<string, { handler: string }>; custom: { esbuild: EsbuildSettings } };
  };
  esbuildSettings = state.service.custom.esbuild;
  for (const [name, { handler }] of Object.entries(state.service.functions)) {
    const dir = join(workDir, 'unzipped', name);
    const files = new Map<string, string>();
    for (const entry of readZipEntries(await readFile(join(outDir, `${name}.zip`)))) {
      if (entry.name.endsWith('/')) continue;
      const bytes = entry.read();
      files.set(entry.name, bytes.toString('utf8'));
      await mkdir(dirname(join(dir, entry.name)), { recursive: true });
      await writeFile(join(dir, entry.name), bytes);
    }
    artifacts.set(name, { handler, files, dir, graph: await moduleGraph(dir, handler, [...files.keys()]) });
  }
}, PACKAGE_TIMEOUT_MS);

afterAll(async () => {
  if (workDir) await rm(workDir, { recursive: true, force: true });
  if (workDir) await rm(join(ROOT, `.esbuild-${basename(workDir)}`), { recursive: true, force: true });
});

const artifact = (name: string): Artifact => {
  const a = artifacts.get(name);
  if (!a) throw new Error(`no artifact for ${name}`);
  return a;
};

describe('the packaged functions', () => {
  it('are one zip per deployed function', () => {
    expect([...artifacts.keys()].sort()).toEqual([...DEPLOYED_NAMES].sort());
  });

  it.each(DEPLOYED_NAMES)('%s: an ES module handler, and exactly the files it imports, each of them there', (name) => {
    const { graph, files, handler } = artifact(name);
    const base = handler.slice(0, handler.lastIndexOf('.'));
    expect(graph.handlerFile).toBe(`${base}.js`);
    expect(graph.esm).toBe(true);
    expect(JSON.parse(files.get(join(dirname(base), 'package.json')) ?? '{}')).toEqual({ type: 'module' });
    expect(graph.missing).toEqual([]);
    expect(graph.packages).toEqual([]);
    expect(graph.unreachable).toEqual([]);
    // Nothing else: no source map, no other function's handler or chunks.
    const expected = [...graph.atInit, ...graph.lazy, join(dirname(base), 'package.json')].sort();
    expect([...files.keys()].sort()).toEqual(expected);
    for (const file of [...graph.atInit, ...graph.lazy]) {
      expect(file === graph.handlerFile || file.startsWith(`${base}.chunks/`)).toBe(true);
      expect(files.get(file)).not.toContain(DYNAMIC_REQUIRE);
    }
  });

  it.each([...FORWARDERS])('%s: the Lambda client only in chunks that import() loads, never in what init parses', (name) => {
    const { graph, files } = artifact(name);
    const withClient = [...files.keys()].filter((file) => files.get(file)?.includes(LAMBDA_CLIENT_MARK));
    expect(withClient.length).toBeGreaterThan(0);
    for (const file of withClient) expect(graph.lazy).toContain(file);
    expect(graph.lazy.some((file) => /\/lambdaForwarder-[A-Z0-9]+\.js$/.test(file))).toBe(true);
  });

  it('carry only the Lambda client command they send (InvokeCommand), not the whole client with its waiters', () => {
    // An import() of the SDK package itself cannot be tree-shaken: it brings every command,
    // waiter and paginator (the aggregated `Lambda` class) into the chunk.
    for (const name of DEPLOYED_NAMES) {
      for (const [file, text] of artifact(name).files) {
        if (text.includes(LAMBDA_WAITER_MARK)) throw new Error(`${name}.zip: ${file} holds the Lambda client's waiters`);
      }
    }
  });

  it('carry no Lambda client outside the webhooks', () => {
    for (const name of DEPLOYED_NAMES.filter((n) => !FORWARDERS.has(n))) {
      for (const [file, text] of artifact(name).files) {
        if (text.includes(LAMBDA_CLIENT_MARK)) throw new Error(`${name}.zip: ${file} holds the Lambda client`);
      }
    }
  });
});

/**
 * Loads a handler as Lambda's Node runtime does (import() of the ES module), then awaits
 * the work it started at init (lib/platform/initWork.ts) and says what of it failed.
 */
const LOADER = `
const url = process.argv[1];
const mod = await import(url);
const failed = (await Promise.all(globalThis[Symbol.for('imchannel.initWork')] ?? [])).filter((e) => e !== undefined);
process.stdout.write(JSON.stringify({ handler: typeof mod.handler, initWorkFailed: failed.map(String) }));
`;

function loadHandler(name: string, target: CtliveTargetKind) {
  const { dir, graph } = artifact(name);
  const url = pathToFileURL(join(dir, graph.handlerFile)).href;
  return run(process.execPath, ['--input-type=module', '-e', LOADER, url], {
    ...functionEnv(name, UNUSED_SERVICES, target),
    PATH: process.env.PATH ?? '',
  });
}

describe('the unzipped handlers, loaded as Lambda loads them', () => {
  it.each(DEPLOYED_NAMES)(
    '%s loads and exports its handler',
    async (name) => {
      const { code, output } = await loadHandler(name, 'http');
      expect({ code, output }).toEqual({ code: 0, output: JSON.stringify({ handler: 'function', initWorkFailed: [] }) });
    },
    30_000,
  );

  it.each([...WEBHOOKS])(
    '%s with a lambda: target loads the Lambda client chunk at init without an error',
    async (name) => {
      const { code, output } = await loadHandler(name, 'lambda');
      expect(code).toBe(0);
      expect(output).toContain(JSON.stringify({ handler: 'function', initWorkFailed: [] }));
    },
    30_000,
  );
});

/**
 * Every function signs its SSM read at cold start on AWS (lib/platform/ssm.ts, aws4fetch).
 * Built as the functions are, the signer's request must pass a check with the AWS SDK's own
 * signer (as test/integration/ssm.test.ts checks the source), and the SDK's signer must not
 * be in the bundle: one signer per function.
 */
describe('the SSM signer, bundled as the functions bundle it', () => {
  const credentials = { accessKeyId: 'AKIDLOCAL', secretAccessKey: 'local-secret-access-key', sessionToken: 'local-session' };
  const region = 'eu-west-1';

  const readBody = async (req: IncomingMessage) => {
    const chunks: Buffer[] = [];
    for await (const chunk of req) chunks.push(chunk as Buffer);
    return Buffer.concat(chunks).toString('utf8');
  };

  it('signs a GetParameters that SigV4 accepts, with aws4fetch alone', async () => {
    const outdir = join(workDir, 'secrets');
    const result = await build({
      ...shippedOptions(esbuildSettings),
      absWorkingDir: ROOT,
      entryPoints: ['lib/platform/secrets.ts'],
      outdir,
      outExtension: { '.js': '.mjs' },
      metafile: true,
      logLevel: 'silent',
      plugins: shippedPlugins(ROOT, esbuildSettings),
    });
    const inputs = Object.keys(result.metafile.inputs);
    expect(
      inputs.filter((input) => /node_modules\/(aws4fetch|@smithy)\//.test(input)).map((input) => input.split('/')[1]),
    ).toEqual(['aws4fetch']);

    const verdicts: boolean[] = [];
    let endpoint = '';
    const server = createServer((req, res) => {
      void (async () => {
        const text = await readBody(req);
        const headers: Record<string, string> = {};
        for (const name of ['content-type', 'x-amz-target', 'x-amz-date', 'x-amz-security-token']) {
          const value = req.headers[name];
          if (typeof value === 'string') headers[name] = value;
        }
        const stamp = headers['x-amz-date'] ?? '';
        const at = new Date(
          `${stamp.slice(0, 4)}-${stamp.slice(4, 6)}-${stamp.slice(6, 8)}T${stamp.slice(9, 11)}:${stamp.slice(11, 13)}:${stamp.slice(13, 15)}Z`,
        );
        const expected = await sdkSignature(credentials, region, { url: new URL(endpoint), headers, body: text }, at);
        verdicts.push(req.headers.authorization === expected);
        const names = (JSON.parse(text) as { Names: string[] }).Names;
        res
          .writeHead(200, { 'content-type': 'application/x-amz-json-1.1' })
          .end(
            JSON.stringify({ Parameters: [{ Name: names[0], Value: 'from-ssm', Type: 'SecureString' }], InvalidParameters: [] }),
          );
      })();
    });
    await new Promise<void>((done) => server.listen(0, '127.0.0.1', done));
    endpoint = `http://127.0.0.1:${(server.address() as AddressInfo).port}/`;
    try {
      const script = `
        const { loadSecrets } = await import(process.argv[1]);
        const read = await loadSecrets('/imchannel/prod', ['CTLIVE_API_TOKEN'], JSON.parse(process.argv[2]));
        process.stdout.write(JSON.stringify(read));
      `;
      const settings = JSON.stringify({ region, credentials, endpoint });
      const url = pathToFileURL(join(outdir, 'secrets.mjs')).href;
      const { code, output } = await run(process.execPath, ['--input-type=module', '-e', script, url, settings], {
        PATH: process.env.PATH ?? '',
      });
      expect({ code, output }).toEqual({
        code: 0,
        output: JSON.stringify({ values: { CTLIVE_API_TOKEN: 'from-ssm' }, missing: [] }),
      });
      expect(verdicts).toEqual([true]);
    } finally {
      await new Promise<void>((done) => server.close(() => done()));
    }
  }, 30_000);
});
