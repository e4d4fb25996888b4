import { build, type Plugin } from 'esbuild';
import { readFile, writeFile } from 'node:fs/promises';
import { basename, extname, join } from 'node:path';
import { entryOf, shippedOptions, shippedPlugins, type EsbuildSettings } from './bundleContents';
import { ROOT } from './paths';
import { MARK_GLOBAL } from './shared';

/**
 * The bundles the cold-init part compares the shipped ones with, built in the same run
 * from the same packaged copy of the service:
 * - naive: the same entry with esbuild's defaults (bundle, platform node, nothing else),
 *   what a user gets without care: one CommonJS file;
 * - singleFile: the shipped options as one CommonJS file, without code splitting (what
 *   shipped before the ES module output): "no function regresses" is measured against it;
 * - floor: a hello-world handler with the shipped options;
 * - marked: the shipped options and plugins plus one line at the top of every module of the AWS SDK
 *   clients, so a process can tell which of them were evaluated (never timed).
 * ES module outputs are written as .mjs (their chunks too), so no package.json is needed.
 */

export const MARKED_PACKAGES = ['@aws-sdk/client-lambda', '@aws-sdk/client-ssm'];

const HELLO_WORLD = `export const handler = async () => ({ statusCode: 200, body: 'hello' });\n`;

function markPlugin(): Plugin {
  const pattern = /[\\/]node_modules[\\/](@aws-sdk[\\/]client-(?:lambda|ssm))[\\/].*\.[cm]?js$/;
  return {
    name: 'mark-evaluated',
    setup(b) {
      b.onLoad({ filter: pattern }, async (args) => {
        const name = pattern.exec(args.path)?.[1]?.replace('\\', '/') ?? 'unknown';
        const source = await readFile(args.path, 'utf8');
        const mark = `(globalThis.${MARK_GLOBAL} ??= new Set()).add(${JSON.stringify(name)});`;
        return { contents: `${mark}\n${source}`, loader: 'js' };
      });
    },
  };
}

export interface References {
  /** Function name → naive bundle. */
  naive: Record<string, string>;
  /** Function name → the shipped options as one CommonJS file. */
  singleFile: Record<string, string>;
  /** Function name → shipped options + evaluation marks. */
  marked: Record<string, string>;
  floor: string;
  coldChild: string;
  warmChild: string;
  streamChild: string;
  copyChild: string;
}

export async function buildReferences(
  work: string,
  serviceDir: string,
  entries: Record<string, string>,
  settings: EsbuildSettings,
): Promise<References> {
  const naive: Record<string, string> = {};
  const singleFile: Record<string, string> = {};
  const marked: Record<string, string> = {};
  const shipped = shippedOptions(settings);
  const esm = shipped.format === 'esm';
  // The handler's output path for an ES module (or CommonJS) build of `entry` into `dir`.
  const outputOf = (dir: string, entry: string, isEsm: boolean) =>
    join(dir, `${basename(entry, extname(entry))}${isEsm ? '.mjs' : '.js'}`);
  for (const [name, handler] of Object.entries(entries)) {
    const entry = entryOf(serviceDir, handler);
    naive[name] = join(work, 'naive', `${name}.js`);
    await build({
      absWorkingDir: serviceDir,
      entryPoints: [entry],
      bundle: true,
      platform: 'node',
      outfile: naive[name],
      logLevel: 'silent',
    });
    singleFile[name] = join(work, 'single-file', `${name}.js`);
    await build({
      ...shipped,
      format: 'cjs',
      splitting: false,
      absWorkingDir: serviceDir,
      entryPoints: [entry],
      outfile: singleFile[name],
      logLevel: 'silent',
    });
    const markedDir = join(work, 'marked', name);
    marked[name] = outputOf(markedDir, entry, esm);
    await build({
      ...shipped,
      absWorkingDir: serviceDir,
      entryPoints: [entry],
      outdir: markedDir,
      ...(esm ? { outExtension: { '.js': '.mjs' } } : {}),
      logLevel: 'silent',
      plugins: [markPlugin(), ...shippedPlugins(serviceDir, settings)],
    });
  }
  await writeFile(join(work, 'helloWorld.ts'), HELLO_WORLD);
  const floor = outputOf(join(work, 'hello'), 'helloWorld.ts', esm);
  await build({
    ...shipped,
    splitting: false,
    entryPoints: [join(work, 'helloWorld.ts')],
    outfile: floor,
    logLevel: 'silent',
  });

  // The children run as plain Node (no TypeScript loader in the measured process). The
  // cold-init child is an ES module, as Lambda's Node runtime is (its bootstrap is an .mjs):
  // Node's ES module loader is up before the handler loads, there as here.
  const child = async (name: string, format: 'cjs' | 'esm') => {
    const outfile = join(work, 'children', `${name}.${format === 'esm' ? 'mjs' : 'js'}`);
    await build({
      entryPoints: [join(ROOT, 'bench', `${name}.ts`)],
      bundle: true,
      platform: 'node',
      target: 'node20',
      format,
      outfile,
      logLevel: 'silent',
    });
    return outfile;
  };
  return {
    naive,
    singleFile,
    marked,
    floor,
    coldChild: await child('coldChild', 'esm'),
    warmChild: await child('warmChild', 'cjs'),
    streamChild: await child('streamChild', 'cjs'),
    copyChild: await child('copyChild', 'cjs'),
  };
}
