import { build, type Plugin } from 'esbuild';
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { entryOf, shippedOptions, type EsbuildSettings } from './bundleContents';
import { ROOT } from './paths';
import { MARK_GLOBAL } from './shared';

/**
 * The bundles the cold-init part compares the shipped ones with, built in the same run
 * from the same packaged copy of the service:
 * - naive: the same entry with esbuild's defaults (bundle, platform node, nothing else),
 *   what a user gets without care;
 * - floor: a hello-world handler with the shipped options;
 * - marked: the shipped options plus one line at the top of every module of the AWS SDK
 *   clients, so a process can tell which of them were evaluated (never timed).
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
  /** Function name → shipped options + evaluation marks. */
  marked: Record<string, string>;
  floor: string;
  coldChild: string;
  warmChild: string;
}

export async function buildReferences(
  work: string,
  serviceDir: string,
  entries: Record<string, string>,
  settings: EsbuildSettings,
): Promise<References> {
  const naive: Record<string, string> = {};
  const marked: Record<string, string> = {};
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
    marked[name] = join(work, 'marked', `${name}.js`);
    await build({
      ...shippedOptions(settings),
      absWorkingDir: serviceDir,
      entryPoints: [entry],
      outfile: marked[name],
      logLevel: 'silent',
      plugins: [markPlugin()],
    });
  }
  await writeFile(join(work, 'helloWorld.ts'), HELLO_WORLD);
  const floor = join(work, 'hello', 'helloWorld.js');
  await build({ ...shippedOptions(settings), entryPoints: [join(work, 'helloWorld.ts')], outfile: floor, logLevel: 'silent' });

  // The children run as plain Node (no TypeScript loader in the measured process).
  const child = async (name: string) => {
    const outfile = join(work, 'children', `${name}.js`);
    await build({
      entryPoints: [join(ROOT, 'bench', `${name}.ts`)],
      bundle: true,
      platform: 'node',
      target: 'node20',
      format: 'cjs',
      outfile,
      logLevel: 'silent',
    });
    return outfile;
  };
  return { naive, marked, floor, coldChild: await child('coldChild'), warmChild: await child('warmChild') };
}
