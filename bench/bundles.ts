import { functionsIn } from '../lib/functions';
import { spawn } from 'node:child_process';
import { cp, mkdir, readFile, symlink, writeFile } from 'node:fs/promises';
import { dirname, join, relative } from 'node:path';
import { bundleContents, entryOf, type Contributor, type EsbuildSettings } from './bundleContents';
import { moduleGraph } from './moduleGraph';
import { ROOT } from './paths';
import { readZipEntries } from './zip';

/**
 * Part 1, bundle sizes: `serverless package` exactly as a deploy builds it, then each
 * function's handler .js as the zip ships it, and what it is made of (esbuild metafile).
 *
 * It packages a copy of the working tree (uncommitted changes included), because
 * serverless-esbuild builds into, and then deletes, the service's `.esbuild/` folder, which
 * a running `npm start` or e2e test serves from. Each zip is unzipped whole into the work
 * folder (the handler, its chunks, the package.json that makes them ES modules): the
 * cold-init and warm parts load exactly those, and bench/moduleGraph.ts says which of the
 * files are parsed at init and which are loaded lazily.
 */

/** The functions that carry the Lambda client: the webhooks and the copier forward to ctlive, which may be a Lambda function. */
export const LAMBDA_CLIENT_FUNCTIONS = new Set(functionsIn('webhook', 'copier').map((fn) => fn.name));
export const LAMBDA_CLIENT_PACKAGE = '@aws-sdk/client-lambda';
/** 1 KB = 1000 bytes: the stricter reading of the targets. */
export const KB = 1000;
export const bundleTargetBytes = (name: string) => (LAMBDA_CLIENT_FUNCTIONS.has(name) ? 350 : 100) * KB;

export interface FunctionBundle {
  name: string;
  /** `functions/sendMessage.ts`, relative to the service. */
  entry: string;
  zipBytes: number;
  /** The handler file Lambda loads (`functions/sendMessage.js`), unzipped. */
  jsBytes: number;
  /** Parsed at init: the handler file and the chunks its static imports reach, unzipped. */
  initBytes: number;
  /** Chunks only a dynamic import() reaches, loaded when it runs (if ever), unzipped. */
  lazyBytes: number;
  /** How many files each of the two are. */
  initFiles: number;
  lazyFiles: number;
  /** Anything else in the zip (a source map, a chunk nothing imports, …); package.json aside. */
  otherFiles: string[];
  /** On what is parsed at init. */
  targetBytes: number;
  meets: boolean;
  topInputs: Contributor[];
  packages: Contributor[];
  /** Bytes of the AWS Lambda client in the bundle (0: not bundled)… */
  lambdaClientBytes: number;
  /** …and of those, in what is parsed at init. */
  lambdaClientAtInitBytes: number;
  /** The metafile rebuild differs from the shipped files: the top inputs may be off. */
  rebuildBytes: number;
}

export interface BundleReport {
  stage: string;
  packageSeconds: number;
  esbuild: EsbuildSettings;
  functions: FunctionBundle[];
}

export interface PackagedService {
  report: BundleReport;
  /** The copy of the service that was packaged (references are built from it). */
  serviceDir: string;
  /** Function name → its shipped handler file, in its whole unzipped artifact. */
  shippedJs: Record<string, string>;
}

const STAGE = 'bench';
/** Not copied: dependencies are linked, build output and history are not needed. */
const NOT_COPIED = new Set(['node_modules', '.git', '.esbuild', '.serverless', 'coverage', join('bench', 'results')]);

async function copyService(dest: string): Promise<void> {
  await cp(ROOT, dest, {
    recursive: true,
    filter: (src) => {
      const rel = relative(ROOT, src);
      return !NOT_COPIED.has(rel) && !rel.startsWith('.esbuild');
    },
  });
  await symlink(join(ROOT, 'node_modules'), join(dest, 'node_modules'), 'junction');
}

function runPackage(serviceDir: string, outDir: string, env: NodeJS.ProcessEnv): Promise<void> {
  return new Promise((resolve, reject) => {
    const bin = join(serviceDir, 'node_modules', 'osls', 'bin', 'serverless.js');
    const child = spawn(process.execPath, [bin, 'package', '--stage', STAGE, '--package', outDir], {
      cwd: serviceDir,
      env: { ...env, SLS_TELEMETRY_DISABLED: '1', IMCHANNEL_BUILD_DIR: '.esbuild' },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let output = '';
    child.stdout.on('data', (chunk: Buffer) => (output += chunk.toString('utf8')));
    child.stderr.on('data', (chunk: Buffer) => (output += chunk.toString('utf8')));
    child.on('error', reject);
    child.on('exit', (code) => {
      if (code === 0) resolve();
      else reject(new Error(`serverless package exited with ${code}:\n${output.trim().split('\n').slice(-15).join('\n')}`));
    });
  });
}

interface PackagedState {
  /** Function name → handler ("functions/sendMessage.handler"). */
  handlers: Record<string, string>;
  esbuild: EsbuildSettings;
}

function readState(json: string): PackagedState {
  const { service } = JSON.parse(json) as {
    service?: { functions?: Record<string, { handler?: unknown }>; custom?: { esbuild?: EsbuildSettings } };
  };
  const handlers: Record<string, string> = {};
  for (const [name, fn] of Object.entries(service?.functions ?? {})) {
    if (typeof fn.handler === 'string') handlers[name] = fn.handler;
  }
  if (Object.keys(handlers).length === 0) throw new Error('serverless-state.json declares no functions');
  return { handlers, esbuild: service?.custom?.esbuild ?? {} };
}

/**
 * `env` is the environment serverless resolves `${env:…}` from: the bench passes none of
 * the developer's IMChannel settings, so the artifacts are the ones a plain deploy builds.
 */
export async function packageService(work: string, env: NodeJS.ProcessEnv): Promise<PackagedService> {
  const serviceDir = join(work, 'service');
  const outDir = join(work, 'artifacts');
  const jsDir = join(work, 'shipped');
  await copyService(serviceDir);
  await mkdir(jsDir, { recursive: true });
  const started = performance.now();
  await runPackage(serviceDir, outDir, env);
  const packageSeconds = (performance.now() - started) / 1000;
  const state = readState(await readFile(join(outDir, 'serverless-state.json'), 'utf8'));

  const functions: FunctionBundle[] = [];
  const shippedJs: Record<string, string> = {};
  for (const [name, handler] of Object.entries(state.handlers)) {
    const zip = await readFile(join(outDir, `${name}.zip`));
    const entries = readZipEntries(zip).filter((e) => !e.name.endsWith('/'));
    const unzipped = join(jsDir, name);
    const sizes = new Map<string, number>();
    for (const e of entries) {
      await mkdir(dirname(join(unzipped, e.name)), { recursive: true });
      await writeFile(join(unzipped, e.name), e.read());
      sizes.set(e.name, e.uncompressedBytes);
    }
    const graph = await moduleGraph(unzipped, handler, [...sizes.keys()]);
    if (graph.missing.length > 0) throw new Error(`${name}.zip lacks files its handler imports: ${graph.missing.join('; ')}`);
    shippedJs[name] = join(unzipped, graph.handlerFile);
    const bytesOf = (files: string[]) => files.reduce((sum, f) => sum + (sizes.get(f) ?? 0), 0);
    const graphed = new Set([...graph.atInit, ...graph.lazy]);
    const initBytes = bytesOf(graph.atInit);

    const entry = entryOf(serviceDir, handler);
    const contents = await bundleContents(serviceDir, entry, state.esbuild);
    const targetBytes = bundleTargetBytes(name);
    const clientBytes = (packages: Contributor[]) => packages.find((p) => p.name === LAMBDA_CLIENT_PACKAGE)?.bytes ?? 0;
    functions.push({
      name,
      entry,
      zipBytes: zip.length,
      jsBytes: sizes.get(graph.handlerFile) ?? 0,
      initBytes,
      lazyBytes: bytesOf(graph.lazy),
      initFiles: graph.atInit.length,
      lazyFiles: graph.lazy.length,
      otherFiles: [...sizes.keys()].filter((f) => !graphed.has(f) && !f.endsWith('package.json')),
      targetBytes,
      meets: initBytes <= targetBytes,
      topInputs: contents.topInputs,
      packages: contents.packages,
      lambdaClientBytes: clientBytes(contents.packages),
      lambdaClientAtInitBytes: clientBytes(contents.packagesAtInit),
      rebuildBytes: contents.outputBytes,
    });
  }
  return { report: { stage: STAGE, packageSeconds, esbuild: state.esbuild, functions }, serviceDir, shippedJs };
}
