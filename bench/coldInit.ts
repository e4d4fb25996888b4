import { spawn } from 'node:child_process';
import { LAMBDA_CLIENT_FUNCTIONS, LAMBDA_CLIENT_PACKAGE } from './bundles';
import { functionEnv, UNUSED_SERVICES, type CtliveTargetKind } from './functionEnv';
import type { References } from './references';
import { percentile, round } from './stats';

/**
 * Part 2, cold init: fresh Node processes, each loading one bundle with the function's
 * environment, round-robin over every bundle so that a slow moment of the machine is
 * shared by all of them. The figure is the time the load takes inside the process
 * (bench/coldChild.ts: import() of the shipped ES module, require() of the CommonJS
 * references; read, compile, evaluate, module-scope wiring, and the init work it started):
 * the part of Lambda's billed init that depends on the function; Node's own start is the
 * same for every bundle and is left out (its wall time is recorded next to it).
 *
 * Each function is measured next to its naive bundle and to the shipped options as one
 * CommonJS file without code splitting (what shipped before), in the same rounds.
 */

export const FLOOR_MARGIN_MS = 20;
export const NAIVE_RATIO_TARGET = 0.6;
/**
 * "No function regresses": on CPU time (the figure a busy shared machine stretches least:
 * wall medians of the same bundle swing by a third there), at most this much slower than
 * the single-file build, and…
 */
export const REGRESSION_RATIO = 1.1;
/** …more than this many ms slower (below it, the difference is the machine's noise). */
export const REGRESSION_MARGIN_MS = 1;

interface Subject {
  id: string;
  bundle: string;
  env: Record<string, string>;
  samples: number[];
  cpu: number[];
  wall: number[];
}

export interface Timing {
  p50Ms: number;
  p90Ms: number;
  /** The process's CPU time over the same span, median (all threads); absent from older results. */
  cpuP50Ms?: number;
  /** Spawn to exit of the whole process, median: Node's start included. */
  processP50Ms: number;
}

export interface ColdRow {
  name: string;
  target: CtliveTargetKind;
  shipped: Timing;
  naive: Timing;
  /** The shipped options as one CommonJS file, without code splitting. */
  singleFile: Timing;
  ratioToNaive: number;
  ratioToSingleFile: number;
  overFloorMs: number;
  /** CPU time over the single-file build's. */
  cpuRatioToSingleFile: number;
  /** Slower on CPU time than the single-file build, beyond REGRESSION_RATIO and REGRESSION_MARGIN_MS. */
  regresses: boolean;
  /** The webhooks: "≤ 0.6 × naive" (and "≤ floor + 20 ms" with an http target); the others "≤ floor + 20 ms"; every one "no regression". */
  targetText: string;
  meets: boolean;
  /** AWS SDK clients whose code ran while the shipped bundle loaded (from the marked build). */
  evaluatedAtInit: string[];
}

export interface ColdReport {
  processesPerBundle: number;
  floor: Timing;
  rows: ColdRow[];
}

interface ColdChildReport {
  initMs: number;
  cpuMs: number;
  evaluated: string[];
}

/** One fresh process loading `bundle` (bench/coldChild.ts); its report and the wall time. */
function loadInFreshProcess(
  coldChild: string,
  bundle: string,
  env: Record<string, string>,
): Promise<{ report: ColdChildReport; wallMs: number }> {
  return new Promise((resolve, reject) => {
    const started = performance.now();
    const child = spawn(process.execPath, [coldChild, bundle], { env, stdio: ['ignore', 'ignore', 'pipe', 'pipe'] });
    let report = '';
    let errors = '';
    (child.stdio[3] as NodeJS.ReadableStream).on('data', (chunk: Buffer) => (report += chunk.toString('utf8')));
    child.stderr?.on('data', (chunk: Buffer) => (errors += chunk.toString('utf8')));
    child.on('error', reject);
    child.on('close', (code) => {
      const wallMs = performance.now() - started;
      if (code !== 0 || !report) reject(new Error(`loading ${bundle} failed (exit ${code}): ${errors.trim().slice(-600)}`));
      else resolve({ report: JSON.parse(report) as ColdChildReport, wallMs });
    });
  });
}

async function runOnce(coldChild: string, subject: Subject): Promise<void> {
  const { report, wallMs } = await loadInFreshProcess(coldChild, subject.bundle, subject.env).catch((error: unknown) => {
    throw new Error(`${subject.id}: ${error instanceof Error ? error.message : String(error)}`);
  });
  subject.samples.push(report.initMs);
  subject.cpu.push(report.cpuMs);
  subject.wall.push(wallMs);
}

async function evaluated(coldChild: string, bundle: string, env: Record<string, string>): Promise<string[]> {
  return (await loadInFreshProcess(coldChild, bundle, env)).report.evaluated;
}

const timing = (s: Subject): Timing => ({
  p50Ms: round(percentile(s.samples, 50)),
  p90Ms: round(percentile(s.samples, 90)),
  cpuP50Ms: round(percentile(s.cpu, 50)),
  processP50Ms: round(percentile(s.wall, 50)),
});

export async function measureColdInit(
  shippedJs: Record<string, string>,
  refs: References,
  processes: number,
  progress: (line: string) => void,
): Promise<ColdReport> {
  const subjects: Subject[] = [];
  const add = (id: string, bundle: string, env: Record<string, string>) => {
    const subject = { id, bundle, env, samples: [], cpu: [], wall: [] };
    subjects.push(subject);
    return subject;
  };
  const floor = add('floor', refs.floor, functionEnv('helloWorld', UNUSED_SERVICES));
  const pairs: {
    name: string;
    target: CtliveTargetKind;
    shipped: Subject;
    naive: Subject;
    singleFile: Subject;
    marked: string;
  }[] = [];
  for (const [name, js] of Object.entries(shippedJs)) {
    const naiveJs = refs.naive[name];
    const singleFileJs = refs.singleFile[name];
    const markedJs = refs.marked[name];
    if (!naiveJs || !singleFileJs || !markedJs) throw new Error(`no reference bundles for ${name}`);
    const targets: CtliveTargetKind[] = LAMBDA_CLIENT_FUNCTIONS.has(name) ? ['http', 'lambda'] : ['http'];
    for (const target of targets) {
      const env = functionEnv(name, UNUSED_SERVICES, target);
      pairs.push({
        name,
        target,
        shipped: add(`${name}/${target}`, js, env),
        naive: add(`${name}/${target}/naive`, naiveJs, env),
        singleFile: add(`${name}/${target}/single-file`, singleFileJs, env),
        marked: markedJs,
      });
    }
  }
  // One untimed load of each first: the file system cache is warm for every bundle alike.
  for (const subject of subjects) {
    await runOnce(refs.coldChild, subject);
    subject.samples.length = 0;
    subject.cpu.length = 0;
    subject.wall.length = 0;
  }
  for (let round = 0; round < processes; round += 1) {
    for (const subject of subjects) await runOnce(refs.coldChild, subject);
    if ((round + 1) % 5 === 0 || round + 1 === processes) progress(`  cold init: ${round + 1}/${processes} processes per bundle`);
  }

  const floorTiming = timing(floor);
  const rows: ColdRow[] = [];
  for (const pair of pairs) {
    const shipped = timing(pair.shipped);
    const naive = timing(pair.naive);
    const singleFile = timing(pair.singleFile);
    const ratioToNaive = round(shipped.p50Ms / naive.p50Ms, 3);
    const ratioToSingleFile = round(shipped.p50Ms / singleFile.p50Ms, 3);
    const overFloorMs = round(shipped.p50Ms - floorTiming.p50Ms);
    const cpu = shipped.cpuP50Ms ?? shipped.p50Ms;
    const cpuSingleFile = singleFile.cpuP50Ms ?? singleFile.p50Ms;
    const cpuRatioToSingleFile = round(cpu / cpuSingleFile, 3);
    const regresses = cpu > cpuSingleFile * REGRESSION_RATIO && cpu - cpuSingleFile > REGRESSION_MARGIN_MS;
    const withLambdaClient = LAMBDA_CLIENT_FUNCTIONS.has(pair.name);
    const byRatio = withLambdaClient;
    const byFloor = !withLambdaClient || pair.target === 'http';
    const targetText = [
      ...(byRatio ? [`≤ ${NAIVE_RATIO_TARGET} × naive`] : []),
      ...(byFloor ? [`≤ floor + ${FLOOR_MARGIN_MS} ms`] : []),
      'no regression',
    ].join(', ');
    rows.push({
      name: pair.name,
      target: pair.target,
      shipped,
      naive,
      singleFile,
      ratioToNaive,
      ratioToSingleFile,
      overFloorMs,
      cpuRatioToSingleFile,
      regresses,
      targetText,
      meets: (!byRatio || ratioToNaive <= NAIVE_RATIO_TARGET) && (!byFloor || overFloorMs <= FLOOR_MARGIN_MS) && !regresses,
      evaluatedAtInit: await evaluated(refs.coldChild, pair.marked, pair.shipped.env),
    });
  }
  return { processesPerBundle: processes, floor: floorTiming, rows };
}

export const lambdaClientEvaluated = (row: ColdRow) => row.evaluatedAtInit.includes(LAMBDA_CLIENT_PACKAGE);

/** What a row misses, one line each (none when it meets every target). */
export function coldMisses(row: ColdRow): string[] {
  if (row.meets) return [];
  const name = LAMBDA_CLIENT_FUNCTIONS.has(row.name) ? `${row.name} (${row.target})` : row.name;
  const out: string[] = [];
  if (row.targetText.includes('naive') && row.ratioToNaive > NAIVE_RATIO_TARGET)
    out.push(`cold init ${name}: ${row.ratioToNaive.toFixed(2)}× of naive > ${NAIVE_RATIO_TARGET}×`);
  if (row.targetText.includes('floor') && row.overFloorMs > FLOOR_MARGIN_MS)
    out.push(`cold init ${name}: ${row.overFloorMs.toFixed(1)} ms over the floor > ${FLOOR_MARGIN_MS} ms`);
  if (row.regresses)
    out.push(
      `cold init ${name}: ${row.cpuRatioToSingleFile.toFixed(2)}× the CPU time of the single-file CommonJS build (${row.shipped.cpuP50Ms} ms against ${row.singleFile.cpuP50Ms} ms)`,
    );
  return out;
}
