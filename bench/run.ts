/**
 * `npm run bench`: in one run, bundle sizes, cold init, warm latency, Redis round trips and
 * peak RSS of every function, each next to its reference, ratio and target. Prints a
 * table per part and writes bench/latest/results.json (git-ignored, so a run leaves the
 * tree clean); `npm run figures:promote` copies a complete full run into the committed
 * bench/results.json and docs/performance.md. Times are reported, never asserted: only a
 * bench that cannot measure fails (exit 1); a missed target is a MISSES in the table.
 *
 * `npm run bench -- --short` (or BENCH_SHORT=1): the same code paths with fewer processes
 * and invocations, for CI, which only checks that the bench still works. It writes
 * bench/latest/results.short.json, which is never promoted.
 *
 * `npm run bench -- --batch` (or BENCH_BATCH=1): only the webhook batches (part 6, after
 * packaging): 100 and 2,000 results against a ctlive taking 50 ms per event, http and
 * `lambda:` targets. `--concurrency N` runs them with CTLIVE_CONCURRENCY=N. It writes
 * bench/latest/results.batch.json, which is never promoted.
 * `npm run bench -- --only cold` (or `--only warm`, `--only stream`, `--only copy`, `--only cold,warm`): packaging and
 * the bundle sizes, then only the parts named, at the same settings. It writes
 * bench/latest/results.only.json, which is never promoted either (it is not a whole run).
 */
import { execFileSync } from 'node:child_process';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { cpus, release, tmpdir, totalmem, type } from 'node:os';
import { dirname, join, relative } from 'node:path';
import { packageService, type PackagedService } from './bundles';
import { measureBatches } from './batch';
import { measureColdInit } from './coldInit';
import { BATCH_RESULTS_FILE, LATEST_RESULTS_FILE, ONLY_RESULTS_FILE, ROOT, SHORT_RESULTS_FILE } from './paths';
import { buildReferences } from './references';
import { lambdaClientVerdicts, misses, tables, textTable, type BenchResults } from './report';
import { measureStream, STREAM_FUNCTION } from './stream';
import { COPY_FUNCTION, measureCopy } from './copy';
import { measureWarm } from './warm';

const short = process.argv.includes('--short') || ['1', 'true'].includes(process.env.BENCH_SHORT ?? '');
const batchOnly = process.argv.includes('--batch') || ['1', 'true'].includes(process.env.BENCH_BATCH ?? '');
const concurrencyArg = process.argv.indexOf('--concurrency');
const concurrency = concurrencyArg === -1 ? undefined : process.argv[concurrencyArg + 1];
const PARTS = ['cold', 'warm', 'stream', 'copy'] as const;
type Part = (typeof PARTS)[number];

/** The parts `--only a,b` (or `--only=a,b`) names; undefined: all of them. Exits on a name it does not know. */
function onlyParts(argv: readonly string[]): Part[] | undefined {
  const at = argv.findIndex((arg) => arg === '--only' || arg.startsWith('--only='));
  if (at === -1) return undefined;
  const value = argv[at]?.startsWith('--only=') ? argv[at].slice('--only='.length) : argv[at + 1];
  const names = (value ?? '').split(',').filter((name) => name !== '');
  const unknown = names.filter((name) => !(PARTS as readonly string[]).includes(name));
  if (names.length === 0 || unknown.length > 0) {
    process.stderr.write(
      `--only takes a comma-separated list of ${PARTS.join(', ')}${unknown.length ? `, not ${unknown.join(', ')}` : ''}\n`,
    );
    process.exit(2);
  }
  return names as Part[];
}
const only = onlyParts(process.argv.slice(2));
const runs = (part: Part) => only === undefined || only.includes(part);
const SETTINGS = short
  ? { coldProcesses: 5, iterations: 200, warmup: 20, block: 50 }
  : { coldProcesses: 15, iterations: 2000, warmup: 100, block: 100 };

function commit(): string | undefined {
  try {
    const head = execFileSync('git', ['rev-parse', '--short', 'HEAD'], { cwd: ROOT, encoding: 'utf8' }).trim();
    const dirty =
      execFileSync('git', ['status', '--porcelain', '--', 'lib', 'functions', 'serverless.yml', 'package-lock.json'], {
        cwd: ROOT,
        encoding: 'utf8',
      }).trim() !== '';
    return dirty ? `${head} + uncommitted changes` : head;
  } catch {
    return undefined;
  }
}

const log = (line: string) => process.stdout.write(`${line}\n`);
const errorText = (error: unknown) => (error instanceof Error ? error.message : String(error));

/** The environment serverless resolves `${env:…}` from: none of a developer's IMChannel settings. */
function packagingEnv(): NodeJS.ProcessEnv {
  const keep = ['PATH', 'HOME', 'TMPDIR', 'LANG', 'npm_config_cache', 'NODE_OPTIONS'];
  return Object.fromEntries(keep.flatMap((name) => (process.env[name] === undefined ? [] : [[name, process.env[name]]])));
}

let work: string | undefined;
async function cleanUp() {
  if (work) await rm(work, { recursive: true, force: true });
  work = undefined;
}

async function main(): Promise<number> {
  const started = performance.now();
  const results: BenchResults = {
    mode: batchOnly ? 'batch' : short ? 'short' : 'full',
    ...(only === undefined ? {} : { only }),
    startedAt: new Date().toISOString(),
    machine: {
      node: process.version,
      os: `${type()} ${release()} ${process.arch}`,
      cpu: cpus()[0]?.model.trim() ?? 'unknown',
      cpus: cpus().length,
      memoryGiB: Math.round(totalmem() / 1024 ** 3),
    },
    commit: commit(),
    misses: [],
    errors: [],
  };
  const m = results.machine;
  log(
    `IMChannel bench (${results.mode}${only ? `, only ${only.join(', ')}` : ''}), ${results.startedAt}: Node ${m.node}, ${m.cpu} × ${m.cpus}, ${m.memoryGiB} GiB, commit ${results.commit ?? 'unknown'}\n`,
  );
  work = await mkdtemp(join(tmpdir(), 'imchannel-bench-'));

  log('1/4 serverless package …');
  let packaged: PackagedService;
  try {
    packaged = await packageService(work, packagingEnv());
  } catch (error: unknown) {
    log(`serverless package failed, nothing else can be measured:\n${errorText(error)}`);
    return 1;
  }
  // A batch-only run packages for the bundle it loads; its sizes are the full run's business.
  if (!batchOnly) results.bundles = packaged.report;
  const handlers = Object.fromEntries(Object.keys(packaged.shippedJs).map((name) => [name, `functions/${name}.handler`]));
  const refs = await buildReferences(work, packaged.serviceDir, handlers, packaged.report.esbuild);

  const measureBatchPart = async () => {
    const bundle = packaged.shippedJs.onMessage;
    if (bundle === undefined) {
      results.errors.push('batch: no onMessage bundle');
      return;
    }
    try {
      results.batch = await measureBatches(bundle, refs, { redisUrl: process.env.REDIS_URL, concurrency }, log);
      results.errors.push(...results.batch.errors);
    } catch (error: unknown) {
      results.errors.push(`batch: ${errorText(error)}`);
    }
  };
  if (batchOnly) {
    log('2/2 webhook batches: 100 and 2,000 results, ctlive taking 50 ms per event …');
    await measureBatchPart();
    return finish(results, started);
  }

  if (runs('cold')) {
    log(`2/4 cold init: ${SETTINGS.coldProcesses} processes per bundle …`);
    try {
      results.coldInit = await measureColdInit(packaged.shippedJs, refs, SETTINGS.coldProcesses, log);
    } catch (error: unknown) {
      results.errors.push(`cold init: ${errorText(error)}`);
    }
  } else log('2/4 cold init: not run (--only)');

  if (runs('warm')) {
    log(`3/4 warm loops: ${SETTINGS.iterations} invocations per route …`);
    try {
      results.warm = await measureWarm(packaged.shippedJs, refs, { ...SETTINGS, redisUrl: process.env.REDIS_URL }, log);
      results.errors.push(...results.warm.errors);
    } catch (error: unknown) {
      results.errors.push(`warm: ${errorText(error)}`);
    }
  } else log('3/4 warm loops: not run (--only)');

  if (runs('stream')) {
    log(`   streaming fetch: ${short ? '1 and 25' : '1, 25 and 100'} MB documents from S3, peak RSS …`);
    const bundle = packaged.shippedJs[STREAM_FUNCTION];
    if (bundle === undefined) results.errors.push(`stream: no ${STREAM_FUNCTION} bundle`);
    else {
      try {
        results.stream = await measureStream(bundle, refs.streamChild, { redisUrl: process.env.REDIS_URL, short }, log);
      } catch (error: unknown) {
        results.errors.push(`stream: ${errorText(error)}`);
      }
    }
  } else log('   streaming fetch: not run (--only)');

  if (runs('copy')) {
    log(`   customers' files: the copier copying ${short ? '1 and 25' : '1, 25 and 100'} MB documents into S3, peak RSS …`);
    const bundle = packaged.shippedJs[COPY_FUNCTION];
    if (bundle === undefined) results.errors.push(`copy: no ${COPY_FUNCTION} bundle`);
    else {
      try {
        results.copy = await measureCopy(bundle, refs.copyChild, { redisUrl: process.env.REDIS_URL, short }, log);
      } catch (error: unknown) {
        results.errors.push(`copy: ${errorText(error)}`);
      }
    }
  } else log("   customers' files: not run (--only)");

  if (only === undefined) {
    log('   webhook batches: 100 and 2,000 results, ctlive taking 50 ms per event …');
    await measureBatchPart();
  }

  results.lambdaClientWithHttpTarget = lambdaClientVerdicts(results);
  return finish(results, started);
}

async function finish(results: BenchResults, started: number): Promise<number> {
  results.misses = misses(results);
  results.durationSeconds = Math.round((performance.now() - started) / 100) / 10;

  log('4/4 results\n');
  for (const t of tables(results)) log(`${textTable(t)}\n`);
  log(
    results.misses.length === 0
      ? 'Every target is met.'
      : `Missed targets (${results.misses.length}):\n${results.misses.map((miss) => `  ${miss}`).join('\n')}`,
  );
  if (results.warm) log(`\nRemoved the ${results.warm.redisKeysRemoved} Redis keys this run wrote.`);

  const file = batchOnly ? BATCH_RESULTS_FILE : only ? ONLY_RESULTS_FILE : short ? SHORT_RESULTS_FILE : LATEST_RESULTS_FILE;
  await mkdir(dirname(file), { recursive: true });
  await writeFile(file, `${JSON.stringify(results, null, 2)}\n`);
  log(`Results written to ${relative(ROOT, file)} (${results.durationSeconds} s).`);
  if (!short && !batchOnly && !only && results.errors.length === 0)
    log('To put them in bench/results.json and docs/performance.md: npm run figures:promote');
  if (results.errors.length > 0) {
    log(`\nThe bench could not measure everything:\n${results.errors.map((e) => `  ${e}`).join('\n')}`);
    return 1;
  }
  return 0;
}

for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.once(signal, () => {
    process.stdout.write(`\n${signal}: stopping…\n`);
    void cleanUp().finally(() => process.exit(130));
  });
}

if (require.main === module) {
  main()
    .then(async (code) => {
      await cleanUp();
      process.exit(code);
    })
    .catch(async (error: unknown) => {
      process.stderr.write(`bench failed: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
      await cleanUp();
      process.exit(1);
    });
}
