import { build, type Metafile, type Plugin } from 'esbuild';
import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join, resolve } from 'node:path';

/**
 * What a bundle is made of: the handler is bundled again with the esbuild options of the
 * packaged service (serverless.yml's `custom.esbuild`), and esbuild's metafile says how
 * many output bytes each input file became.
 */

export interface Contributor {
  /** An input file (node_modules/… or the service's own path), or an npm package name. */
  name: string;
  bytes: number;
}

export interface Contents {
  /** Output bytes of this rebuild, every file the handler's imports reach: equal to the shipped files when the options match. */
  outputBytes: number;
  topInputs: Contributor[];
  packages: Contributor[];
  /** Per package, the bytes in the files read when the handler loads (its static imports): the rest is in lazy chunks. */
  packagesAtInit: Contributor[];
}

/** The esbuild settings of serverless.yml (`custom.esbuild`) that change the output. */
export interface EsbuildSettings {
  minify?: boolean;
  target?: string;
  platform?: 'node' | 'neutral' | 'browser';
  format?: 'cjs' | 'esm' | 'iife';
  /** ESM only: each dynamic import() becomes chunks of its own. */
  splitting?: boolean;
  /** serverless-esbuild's `plugins`: a module of the service exporting esbuild plugins. */
  plugins?: string;
  mainFields?: string[];
  external?: string[];
  exclude?: string[];
  sourcemap?: boolean;
}

const SERVICE_CODE = '(service code)';

export function packageOf(inputPath: string): string {
  const parts = inputPath.split('/');
  const last = parts.lastIndexOf('node_modules');
  if (last === -1) return SERVICE_CODE;
  const first = parts[last + 1] ?? SERVICE_CODE;
  return first.startsWith('@') ? `${first}/${parts[last + 2] ?? ''}` : first;
}

/** From the last node_modules/ on, so paths read the same from any checkout. */
const shortPath = (inputPath: string) => {
  const at = inputPath.lastIndexOf('node_modules/');
  return at === -1 ? inputPath : inputPath.slice(at);
};

/** `functions/sendMessage.handler` → `functions/sendMessage.ts` (or .js) under `serviceDir`. */
export function entryOf(serviceDir: string, handler: string): string {
  const base = handler.slice(0, handler.lastIndexOf('.'));
  return existsSync(join(serviceDir, `${base}.ts`)) ? `${base}.ts` : `${base}.js`;
}

/** serverless-esbuild leaves `external` and `exclude` packages out of the bundle. */
export const shippedOptions = (settings: EsbuildSettings) => ({
  bundle: true,
  minify: settings.minify ?? false,
  target: settings.target,
  platform: settings.platform ?? 'node',
  format: settings.format ?? 'cjs',
  splitting: settings.format === 'esm' && settings.splitting === true,
  mainFields: settings.mainFields,
  external: [...(settings.external ?? []), ...(settings.exclude ?? [])].filter((e) => e !== '*'),
});

/** The esbuild plugins serverless.yml names (`custom.esbuild.plugins`), loaded from the packaged copy of the service. */
export function shippedPlugins(serviceDir: string, settings: EsbuildSettings): Plugin[] {
  if (settings.plugins === undefined) return [];
  const loaded = createRequire(join(serviceDir, 'package.json'))(resolve(serviceDir, settings.plugins)) as unknown;
  if (!Array.isArray(loaded)) throw new Error(`${settings.plugins} exports no array of esbuild plugins`);
  return loaded as Plugin[];
}

export async function bundleContents(
  serviceDir: string,
  entry: string,
  settings: EsbuildSettings,
  plugins: Plugin[] = [],
): Promise<Contents> {
  const result = await build({
    ...shippedOptions(settings),
    absWorkingDir: serviceDir,
    entryPoints: [entry],
    outdir: join(serviceDir, '.bench-contents'), // never written: write is false
    write: false,
    metafile: true,
    logLevel: 'silent',
    plugins: [...plugins, ...shippedPlugins(serviceDir, settings)],
  });
  const files = new Map<string, number>();
  const packages = new Map<string, number>();
  const packagesAtInit = new Map<string, number>();
  const add = (totals: Map<string, number>, name: string, bytes: number) => totals.set(name, (totals.get(name) ?? 0) + bytes);
  const { all, atInit } = reachedOutputs(result.metafile, join(serviceDir, entry), serviceDir);
  let outputBytes = 0;
  for (const [file, output] of Object.entries(result.metafile.outputs)) {
    if (!all.has(file)) continue; // a chunk nothing imports: resources/esbuildPlugins.js deletes it
    outputBytes += output.bytes;
    for (const [input, { bytesInOutput }] of Object.entries(output.inputs)) {
      add(files, shortPath(input), bytesInOutput);
      add(packages, packageOf(input), bytesInOutput);
      if (atInit.has(file)) add(packagesAtInit, packageOf(input), bytesInOutput);
    }
  }
  const sorted = (totals: Map<string, number>) =>
    [...totals]
      .map(([name, bytes]) => ({ name, bytes }))
      .filter((c) => c.bytes > 0)
      .sort((a, b) => b.bytes - a.bytes);
  return {
    outputBytes,
    topInputs: sorted(files).slice(0, 5),
    packages: sorted(packages),
    packagesAtInit: sorted(packagesAtInit),
  };
}

/** The outputs the entry's imports reach: all of them, and those its static imports reach (read at load). */
function reachedOutputs(metafile: Metafile, entryPath: string, cwd: string): { all: Set<string>; atInit: Set<string> } {
  const outputs = metafile.outputs;
  const roots = Object.keys(outputs).filter((file) => {
    const entryPoint = outputs[file]?.entryPoint;
    return entryPoint !== undefined && resolve(cwd, entryPoint) === resolve(entryPath);
  });
  const reach = (follow: (kind: string) => boolean) => {
    const seen = new Set<string>();
    const stack = [...roots];
    while (stack.length > 0) {
      const file = stack.pop() as string;
      if (seen.has(file) || !outputs[file]) continue;
      seen.add(file);
      for (const i of outputs[file].imports) if (!i.external && follow(i.kind)) stack.push(i.path);
    }
    return seen;
  };
  return { all: reach(() => true), atInit: reach((kind) => kind === 'import-statement' || kind === 'require-call') };
}
