import { spawn } from 'node:child_process';
import { cp, mkdtemp, readFile, rm, symlink } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { bundleContributors, type Contributor, type EsbuildSettings } from './bundleContents';
import { ROOT } from './paths';
import { readZipEntries } from './zip';

/**
 * Bundle sizes (ENGINEERING.md habit 10): `serverless package` exactly as a deploy would
 * build it, then the size of each function's artifact and of the code inside it.
 *
 * It packages a copy of the working tree (uncommitted changes included), because
 * serverless-esbuild builds into, and then deletes, the service's `.esbuild/` folder, which
 * a running `npm start` or e2e test serves from; and their builds would leak into ours.
 */

/** Above this a function's zip fails the bench: cold starts grow with the code loaded. */
export const ZIP_BUDGET_BYTES = 1024 * 1024;

export interface FunctionBundle {
  name: string;
  zipBytes: number;
  /** The function's own bundled handler, unzipped. */
  jsBytes: number;
  /** Its source map, unzipped, when the artifact ships one. */
  mapBytes: number;
  /** Anything else in the zip, unzipped: normally none. */
  otherFiles: string[];
  otherBytes: number;
  overBudget: boolean;
  /** Largest packages in the .js, for bundles over budget and the largest bundle. */
  contributors?: Contributor[];
}

export interface BundleReport {
  stage: string;
  packageSeconds: number;
  budgetBytes: number;
  functions: FunctionBundle[];
  /** From the packaged service, for context in the memory section. */
  memorySizeMb?: number;
}

const STAGE = 'bench';
/** Not copied: dependencies are linked, build output and history are not needed. */
const NOT_COPIED = new Set(['node_modules', '.git', '.esbuild', '.serverless', 'coverage', join('bench', 'results')]);

async function copyService(dest: string): Promise<void> {
  await cp(ROOT, dest, { recursive: true, filter: (src) => !NOT_COPIED.has(relative(ROOT, src)) });
  await symlink(join(ROOT, 'node_modules'), join(dest, 'node_modules'), 'junction');
}

function runPackage(serviceDir: string, outDir: string): Promise<void> {
  return new Promise((resolve, reject) => {
    const bin = join(serviceDir, 'node_modules', 'osls', 'bin', 'serverless.js');
    const child = spawn(process.execPath, [bin, 'package', '--stage', STAGE, '--package', outDir], {
      cwd: serviceDir,
      env: { ...process.env, SLS_TELEMETRY_DISABLED: '1' },
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
  memorySizeMb?: number;
}

function readState(json: string): PackagedState {
  const { service } = JSON.parse(json) as {
    service?: { functions?: Record<string, { handler?: unknown }>; provider?: { memorySize?: unknown }; custom?: { esbuild?: EsbuildSettings } };
  };
  const handlers: Record<string, string> = {};
  for (const [name, fn] of Object.entries(service?.functions ?? {})) {
    if (typeof fn.handler === 'string') handlers[name] = fn.handler;
  }
  if (Object.keys(handlers).length === 0) throw new Error('serverless-state.json declares no functions');
  const memorySize = service?.provider?.memorySize;
  return { handlers, esbuild: service?.custom?.esbuild ?? {}, memorySizeMb: typeof memorySize === 'number' ? memorySize : undefined };
}

async function measure(outDir: string, name: string, handler: string): Promise<FunctionBundle> {
  const zip = await readFile(join(outDir, `${name}.zip`));
  const entries = readZipEntries(zip);
  const jsName = `${handler.slice(0, handler.lastIndexOf('.'))}.js`;
  const js = entries.find((e) => e.name === jsName);
  if (!js) throw new Error(`${name}.zip does not hold ${jsName}`);
  const map = entries.find((e) => e.name === `${jsName}.map`);
  const others = entries.filter((e) => e !== js && e !== map && !e.name.endsWith('/'));
  return {
    name,
    zipBytes: zip.length,
    jsBytes: js.uncompressedBytes,
    mapBytes: map?.uncompressedBytes ?? 0,
    otherFiles: others.map((e) => e.name),
    otherBytes: others.reduce((sum, e) => sum + e.uncompressedBytes, 0),
    overBudget: zip.length > ZIP_BUDGET_BYTES,
  };
}

export async function measureBundles(): Promise<BundleReport> {
  const work = await mkdtemp(join(tmpdir(), 'imchannel-bench-'));
  const serviceDir = join(work, 'service');
  const outDir = join(work, 'artifacts');
  try {
    await copyService(serviceDir);
    const started = performance.now();
    await runPackage(serviceDir, outDir);
    const packageSeconds = (performance.now() - started) / 1000;
    const state = readState(await readFile(join(outDir, 'serverless-state.json'), 'utf8'));
    const functions: FunctionBundle[] = [];
    for (const [name, handler] of Object.entries(state.handlers)) functions.push(await measure(outDir, name, handler));

    const largest = functions.reduce<FunctionBundle | undefined>((a, b) => (a && a.zipBytes >= b.zipBytes ? a : b), undefined);
    for (const bundle of functions) {
      const handler = state.handlers[bundle.name];
      if ((bundle.overBudget || bundle === largest) && handler) {
        bundle.contributors = await bundleContributors(serviceDir, handler, state.esbuild);
      }
    }
    return { stage: STAGE, packageSeconds, budgetBytes: ZIP_BUDGET_BYTES, functions, memorySizeMb: state.memorySizeMb };
  } finally {
    await rm(work, { recursive: true, force: true });
  }
}
