/** Shared by the bench and its child processes: nothing here may import more than this. */

/** The global Set the marked bundles add the names of evaluated AWS SDK clients to. */
export const MARK_GLOBAL = '__imchannelBenchEvaluated';

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
