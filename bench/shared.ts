/** Shared by the bench and its child processes: nothing here may import more than this (and Node's own modules). */
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join, resolve, sep } from 'node:path';

/** The global Set the marked bundles add the names of evaluated AWS SDK clients to. */
export const MARK_GLOBAL = '__imchannelBenchEvaluated';

/** Where lib/platform/initWork.ts notes the work a function started at init (Symbol.for: one across bundles). */
export const INIT_WORK_GLOBAL = Symbol.for('imchannel.initWork');

/** In an event or baseline template: replaced by a fresh id at each invocation. */
export const ID_PLACEHOLDER = '__BENCH_ID__';

/** AWS SDK clients this process has evaluated: marked modules, or external ones in require's cache. */
export function evaluatedClients(cache: Record<string, unknown>): string[] {
  const marks = (globalThis as Record<string, unknown>)[MARK_GLOBAL];
  const external = Object.keys(cache)
    .map((path) => /node_modules[\\/](@aws-sdk[\\/]client-[a-z0-9-]+)[\\/]/.exec(path)?.[1]?.replace('\\', '/'))
    .filter((name): name is string => name !== undefined);
  return [...new Set([...(marks instanceof Set ? [...(marks as Set<string>)] : []), ...external])].sort();
}

/** As Node decides: `.mjs`, or `.js` whose nearest package.json says `"type": "module"`. */
export function isEsModule(file: string): boolean {
  if (file.endsWith('.mjs')) return true;
  if (!file.endsWith('.js')) return false;
  for (let dir = dirname(resolve(file)); ; dir = dirname(dir)) {
    const pkg = join(dir, 'package.json');
    if (existsSync(pkg)) return (JSON.parse(readFileSync(pkg, 'utf8')) as { type?: unknown }).type === 'module';
    if (dirname(dir) === dir || dir.endsWith(`${sep}node_modules`)) return false;
  }
}
