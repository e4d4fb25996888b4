/**
 * The bench half of `npm run figures:promote` (tools/figures.ts). `npm run bench` writes
 * bench/latest/results.json (git-ignored); promoting copies it into the committed
 * bench/results.json, and docs/performance.md is generated from that committed file.
 */
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { relative } from 'node:path';
import { LATEST_RESULTS_FILE, RESULTS_FILE } from './paths';
import { markdownTable, tables, type BenchResults } from './report';

export const PERFORMANCE_MARKERS = ['<!-- bench:results:start -->', '<!-- bench:results:end -->'] as const;

const read = (file: string) => JSON.parse(readFileSync(file, 'utf8')) as BenchResults;

/** The docs/performance.md block, from the committed (promoted) bench/results.json. */
export function performanceFigures(): string {
  const results = read(RESULTS_FILE);
  const m = results.machine;
  return [
    `Latest full run: ${results.startedAt.slice(0, 10)}, commit ${results.commit ?? 'unknown'}, on ${m.cpu} (${m.cpus} vCPUs), ${m.memoryGiB} GiB, ${m.os}, Node ${m.node}; the run took ${Math.round(results.durationSeconds ?? 0)} s. Generated from \`bench/results.json\`.`,
    '',
    ...tables(results).flatMap((t) => [markdownTable(t), '']),
    results.misses.length === 0
      ? 'Every target is met.'
      : `Missed targets:\n\n${results.misses.map((miss) => `- ${miss}`).join('\n')}`,
  ].join('\n');
}

/**
 * Copies the latest full run into bench/results.json when it measured everything and is
 * newer than the committed one; returns what it did, or why it did not, in one line.
 * A short run (CI) is never promoted: its figures are too few to quote.
 */
export function promoteBench(root: string, files = { latest: LATEST_RESULTS_FILE, committed: RESULTS_FILE }): string {
  const target = relative(root, files.committed);
  if (!existsSync(files.latest))
    return `${target}: no full bench run to promote (npm run bench writes ${relative(root, files.latest)})`;
  const latest = read(files.latest);
  if (latest.mode !== 'full') return `${target}: kept, the latest run is not a full run`;
  if (latest.errors.length > 0)
    return `${target}: kept, the latest run could not measure everything (${latest.errors.length} errors)`;
  const committed = existsSync(files.committed) ? read(files.committed) : undefined;
  if (committed !== undefined && committed.startedAt >= latest.startedAt)
    return `${target}: kept, already holds the run of ${committed.startedAt}`;
  writeFileSync(files.committed, `${JSON.stringify(latest, null, 2)}\n`);
  return `${target}: promoted the run of ${latest.startedAt}`;
}
