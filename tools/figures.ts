/**
 * `npm run figures:promote [-- --reliability | --bench]`: the one command that puts a
 * run's figures into the repository. Test and bench runs write theirs to git-ignored
 * files (test/reliability/results/latest/, bench/latest/) so that `npm test` and
 * `npm run bench` leave the tree clean; this promotes them into the committed results
 * files and regenerates the blocks of docs/reliability.md and docs/performance.md from
 * those files. Without a newer run it only regenerates the blocks.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { performanceFigures, PERFORMANCE_MARKERS, promoteBench } from '../bench/figures';
import { promoteReliability, reliabilityFigures, RELIABILITY_MARKERS } from '../test/reliability/figures';

const ROOT = resolve(__dirname, '..');
export const RELIABILITY_DOC = join(ROOT, 'docs', 'reliability.md');
export const PERFORMANCE_DOC = join(ROOT, 'docs', 'performance.md');

/** `text` with what lies between the two markers replaced by `block`. */
export function replaceBlock(text: string, [start, end]: readonly [string, string], block: string): string {
  const from = text.indexOf(start);
  const to = text.indexOf(end);
  if (from < 0 || to < from) throw new Error(`no ${start} … ${end} block`);
  return `${text.slice(0, from + start.length)}\n${block}\n${text.slice(to)}`;
}

function rewrite(file: string, markers: readonly [string, string], block: string): string {
  const before = readFileSync(file, 'utf8');
  const after = replaceBlock(before, markers, block);
  if (after !== before) writeFileSync(file, after);
  return `${file.slice(ROOT.length + 1)}: ${after === before ? 'unchanged' : 'figures rewritten'}`;
}

function main(args: string[]): void {
  const unknown = args.filter((a) => a !== '--reliability' && a !== '--bench');
  if (unknown.length > 0)
    throw new Error(`unknown argument ${unknown.join(' ')}; usage: npm run figures:promote [-- --reliability | --bench]`);
  const all = args.length === 0;
  const out: string[] = [];
  if (all || args.includes('--reliability')) {
    const promoted = promoteReliability(ROOT);
    out.push(...(promoted.length > 0 ? promoted : ['test/reliability/results: no newer run to promote']));
    out.push(rewrite(RELIABILITY_DOC, RELIABILITY_MARKERS, reliabilityFigures()));
  }
  if (all || args.includes('--bench')) {
    out.push(promoteBench(ROOT));
    out.push(rewrite(PERFORMANCE_DOC, PERFORMANCE_MARKERS, performanceFigures()));
  }
  process.stdout.write(`${out.join('\n')}\n`);
}

if (require.main === module) {
  try {
    main(process.argv.slice(2));
  } catch (error: unknown) {
    process.stderr.write(`figures:promote: ${error instanceof Error ? error.message : String(error)}\n`);
    process.exit(1);
  }
}
