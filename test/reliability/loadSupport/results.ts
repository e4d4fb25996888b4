import { execFileSync } from 'node:child_process';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { cpus, totalmem } from 'node:os';
import { dirname, resolve } from 'node:path';

/**
 * The figures docs/reliability.md quotes, written by the last run of
 * `npm run test:reliability` into test/reliability/results/latest/load.json (git-ignored,
 * so a test run leaves the tree clean). Each test file owns one section and rewrites only
 * that one, so the file always holds the latest figures of each part;
 * `npm run figures:promote` copies them into the committed test/reliability/results/load.json.
 */
export const RESULTS_FILE = resolve(__dirname, '../results/latest/load.json');
export const PROMOTED_FILE = resolve(__dirname, '../results/load.json');
const ROOT = resolve(__dirname, '../../..');

function commit(): string | undefined {
  try {
    const head = execFileSync('git', ['rev-parse', '--short', 'HEAD'], { cwd: ROOT, encoding: 'utf8' }).trim();
    // The code that ran, not the results files.
    const paths = ['lib', 'functions', 'tools', 'test', 'serverless.yml', ':(exclude)test/reliability/results'];
    const dirty = execFileSync('git', ['status', '--porcelain', '--', ...paths], {
      cwd: ROOT,
      encoding: 'utf8',
    }).trim();
    return dirty === '' ? head : `${head} + uncommitted changes`;
  } catch {
    return undefined; // not a git checkout: the figures stand without it
  }
}

export async function recordResults(section: string, figures: unknown): Promise<void> {
  let current: Record<string, unknown> = {};
  try {
    current = JSON.parse(await readFile(RESULTS_FILE, 'utf8')) as Record<string, unknown>;
  } catch {
    // first run, or a file from an older layout: start over
  }
  const cpu = cpus();
  current[section] = {
    finishedAt: new Date().toISOString(),
    commit: commit(),
    machine: {
      node: process.version,
      cpu: cpu[0]?.model.trim() ?? 'unknown',
      cpus: cpu.length,
      memoryMiB: Math.round(totalmem() / 1024 / 1024),
    },
    ...(figures as Record<string, unknown>),
  };
  await mkdir(dirname(RESULTS_FILE), { recursive: true });
  await writeFile(RESULTS_FILE, `${JSON.stringify(current, null, 2)}\n`);
}
