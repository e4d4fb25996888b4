/**
 * `npm run bench`: bundle sizes, latency and throughput over HTTP against the whole local
 * stack, and memory of the media path, measured on this machine. Prints tables and writes
 * bench/results/latest.json. Only a bundle over its size budget (or a bench that cannot
 * measure the sizes) fails the run; timings are informational.
 *
 * `npm run bench -- --only=size` (or http, memory; comma-separated) runs part of it.
 */
import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdir, writeFile } from 'node:fs/promises';
import { cpus, totalmem } from 'node:os';
import { dirname } from 'node:path';
import { startLocalStack, type LocalStack } from '../tools/stack';
import { measureBundles, type BundleReport } from './bundles';
import { harvest, newLeftovers, removeLeftovers, type BenchLeftovers } from './cleanup';
import { startCtliveStub, type CtliveStub } from './ctliveStub';
import { runHttpScenarios, settle, type HttpReport } from './http';
import { measureMemory, type MemoryResult } from './memory';
import { RESULTS_FILE, ROOT } from './paths';
import { bundleSection, httpSection, memorySection } from './report';

const PARTS = ['size', 'http', 'memory'] as const;
type Part = (typeof PARTS)[number];

interface BenchResults {
  startedAt: string;
  machine: { node: string; platform: string; cpu: string; cpus: number; memoryMiB: number };
  commit?: string;
  bundles?: BundleReport;
  bundlesError?: string;
  stackStartSeconds?: number;
  http?: HttpReport;
  memory?: MemoryResult[];
  stackError?: string;
  failures: string[];
}

function parts(argv: string[]): Set<Part> {
  const only = argv.find((arg) => arg.startsWith('--only='))?.slice('--only='.length);
  if (!only) return new Set(PARTS);
  const chosen = only.split(',').map((p) => p.trim());
  const unknown = chosen.filter((p) => !(PARTS as readonly string[]).includes(p));
  if (unknown.length > 0) throw new Error(`--only takes ${PARTS.join(', ')}; got ${unknown.join(', ')}`);
  return new Set(chosen as Part[]);
}

function commit(): string | undefined {
  try {
    const head = execFileSync('git', ['rev-parse', '--short', 'HEAD'], { cwd: ROOT, encoding: 'utf8' }).trim();
    const dirty = execFileSync('git', ['status', '--porcelain'], { cwd: ROOT, encoding: 'utf8' }).trim() !== '';
    return dirty ? `${head} + uncommitted changes` : head;
  } catch {
    return undefined;
  }
}

const print = (text: string) => process.stdout.write(`${text}\n\n`);
const errorText = (error: unknown) => (error instanceof Error ? error.message : String(error));

/** Everything started here, stopped exactly once: at the end, on error, or on Ctrl-C. */
let running: { stack?: LocalStack; stub?: CtliveStub; leftovers?: BenchLeftovers } = {};
async function stopEverything(): Promise<void> {
  const { stack, stub, leftovers } = running;
  running = {};
  if (stack && leftovers) {
    harvest(stack, leftovers); // what the sandbox saw since the last settle, if a scenario broke off
    await removeLeftovers(stack.redisUrl, leftovers).then(
      (removed) => process.stdout.write(`Removed the ${removed} Redis keys this run wrote.\n`),
      (error: unknown) => process.stdout.write(`Could not remove this run's Redis keys: ${errorText(error)}\n`),
    );
  }
  await stack?.stop();
  await stub?.close();
}

async function withStack(results: BenchResults, wanted: Set<Part>): Promise<void> {
  const recent: string[] = []; // the stack's last lines, shown only if it fails to start
  const stub = await startCtliveStub();
  running.stub = stub;
  const started = performance.now();
  process.stdout.write('Starting the local stack (serverless-offline builds every function)…\n');
  const stack = await startLocalStack({
    freePorts: true,
    // Not process.env: a developer's INFOBIP_* settings must not point the bench at a real Infobip.
    env: { CTLIVE_TARGET: stub.url, REDIS_URL: process.env.REDIS_URL },
    output: (line) => {
      recent.push(line);
      if (recent.length > 40) recent.shift();
    },
  }).catch((error: unknown) => {
    throw new Error(`${errorText(error)}\n${recent.join('\n')}`);
  });
  const leftovers = newLeftovers(`bench-${randomBytes(4).toString('hex')}-`);
  running = { stack, stub, leftovers };
  results.stackStartSeconds = (performance.now() - started) / 1000;

  if (wanted.has('http')) {
    results.http = await runHttpScenarios(stack, stub, leftovers);
    print(httpSection(results.http, results.stackStartSeconds));
  }
  if (wanted.has('memory')) {
    results.memory = await measureMemory(stack);
    await settle(stack, stub, leftovers); // the sandbox's fetch and delivery report of the file the memory run sent
    print(memorySection(results.memory, results.bundles?.memorySizeMb));
  }
}

async function main(): Promise<number> {
  const wanted = parts(process.argv.slice(2));
  const results: BenchResults = {
    startedAt: new Date().toISOString(),
    machine: {
      node: process.version,
      platform: `${process.platform}-${process.arch}`,
      cpu: cpus()[0]?.model.trim() ?? 'unknown',
      cpus: cpus().length,
      memoryMiB: Math.round(totalmem() / 1024 / 1024),
    },
    commit: commit(),
    failures: [],
  };
  const { machine } = results;
  print(`IMChannel bench, ${results.startedAt}: Node ${machine.node}, ${machine.cpu} × ${machine.cpus}, ${machine.memoryMiB} MiB, commit ${results.commit ?? 'unknown'}`);

  if (wanted.has('size')) {
    try {
      results.bundles = await measureBundles();
      print(bundleSection(results.bundles));
      for (const f of results.bundles.functions) {
        if (f.overBudget) results.failures.push(`${f.name}.zip is ${f.zipBytes} bytes, over the ${results.bundles.budgetBytes}-byte budget`);
      }
    } catch (error: unknown) {
      results.bundlesError = errorText(error);
      results.failures.push(`could not measure the bundles: ${results.bundlesError}`);
      print(`1. Bundle size: FAILED\n${results.bundlesError}`);
    }
  }

  if (wanted.has('http') || wanted.has('memory')) {
    try {
      await withStack(results, wanted);
    } catch (error: unknown) {
      // A broken stack is reported, not a failed run: only the size budget fails the bench.
      results.stackError = errorText(error);
      print(`The local stack or a scenario failed; latency and memory are incomplete:\n${results.stackError}`);
    } finally {
      await stopEverything();
    }
  }

  await mkdir(dirname(RESULTS_FILE), { recursive: true });
  await writeFile(RESULTS_FILE, `${JSON.stringify(results, null, 2)}\n`);
  process.stdout.write('Results written to bench/results/latest.json\n');
  if (results.failures.length === 0) return 0;
  process.stdout.write(`\nFAILED:\n${results.failures.map((f) => `  ${f}`).join('\n')}\n`);
  return 1;
}

for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.once(signal, () => {
    process.stdout.write(`\n${signal}: stopping the local stack…\n`);
    void stopEverything().finally(() => process.exit(130));
  });
}

main().then(
  (code) => process.exit(code),
  async (error: unknown) => {
    process.stderr.write(`bench failed: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
    await stopEverything();
    process.exit(1);
  },
);
