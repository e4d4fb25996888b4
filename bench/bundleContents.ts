import { build } from 'esbuild';
import { existsSync } from 'node:fs';
import { join } from 'node:path';

/**
 * What a bundle is made of: the handler is bundled again with the esbuild options of the
 * packaged service, and esbuild's metafile says how many output bytes each input file
 * became. Input files are grouped by npm package. This answers the first question a
 * size-budget breach raises, whether or not the artifact ships a source map.
 */

export interface Contributor {
  /** An npm package name, or "(service code)" for the repository's own files. */
  name: string;
  bytes: number;
}

/** The esbuild settings of serverless.yml (`custom.esbuild`) that change the output. */
export interface EsbuildSettings {
  minify?: boolean;
  target?: string;
  platform?: 'node' | 'neutral' | 'browser';
  format?: 'cjs' | 'esm' | 'iife';
  mainFields?: string[];
}

const SERVICE_CODE = '(service code)';

export function packageOf(inputPath: string): string {
  const parts = inputPath.split('/');
  const last = parts.lastIndexOf('node_modules');
  if (last === -1) return SERVICE_CODE;
  const first = parts[last + 1] ?? SERVICE_CODE;
  return first.startsWith('@') ? `${first}/${parts[last + 2] ?? ''}` : first;
}

/** `handler` as serverless.yml writes it ("functions/sendMessage.handler"), bundled from `serviceDir`. */
export async function bundleContributors(serviceDir: string, handler: string, settings: EsbuildSettings): Promise<Contributor[]> {
  const base = handler.slice(0, handler.lastIndexOf('.'));
  const entry = existsSync(join(serviceDir, `${base}.ts`)) ? `${base}.ts` : `${base}.js`;
  const result = await build({
    absWorkingDir: serviceDir,
    entryPoints: [entry],
    outdir: join(serviceDir, '.bench-contents'), // never written: write is false
    write: false,
    bundle: true,
    metafile: true,
    logLevel: 'silent',
    minify: settings.minify ?? false,
    target: settings.target,
    platform: settings.platform ?? 'node',
    format: settings.format ?? 'cjs',
    mainFields: settings.mainFields,
  });
  const totals = new Map<string, number>();
  for (const output of Object.values(result.metafile.outputs)) {
    for (const [input, { bytesInOutput }] of Object.entries(output.inputs)) {
      const name = packageOf(input);
      totals.set(name, (totals.get(name) ?? 0) + bytesInOutput);
    }
  }
  return [...totals]
    .map(([name, bytes]) => ({ name, bytes }))
    .filter((c) => c.bytes > 0)
    .sort((a, b) => b.bytes - a.bytes);
}
