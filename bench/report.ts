import { KB, LAMBDA_CLIENT_FUNCTIONS } from './bundles';
import type { BundleReport } from './bundles';
import { coldMisses, lambdaClientEvaluated, type ColdReport, type Timing } from './coldInit';
import { lambdaClientLoaded, WARM_RATIO_TARGET, type WarmReport } from './warm';
import type { BatchReport } from './batch';
import type { StreamReport } from './stream';
import type { CopyReport } from './copy';

/** The figures of one run, as bench/results.json holds them and the tables show them. */
export interface BenchResults {
  mode: 'full' | 'short' | 'batch';
  /** The parts a `--only` run measured (packaging and bundle sizes always run). */
  only?: string[];
  startedAt: string;
  durationSeconds?: number;
  machine: { node: string; os: string; cpu: string; cpus: number; memoryGiB: number };
  commit?: string;
  bundles?: BundleReport;
  coldInit?: ColdReport;
  warm?: WarmReport;
  batch?: BatchReport;
  /** Peak RSS of the streaming fetch; absent from runs before it. */
  stream?: StreamReport;
  /** Throughput and peak RSS of the copier of customers' files; absent from runs before it. */
  copy?: CopyReport;
  /** Whether the Lambda client is loaded with CTLIVE_TARGET=http(s), per webhook function. */
  lambdaClientWithHttpTarget?: {
    function: string;
    atInit: boolean | undefined;
    afterInvocation: boolean | undefined;
    meets: boolean;
  }[];
  misses: string[];
  errors: string[];
}

export interface Table {
  title: string;
  header: string[];
  rows: string[][];
  notes?: string[];
}

const verdict = (meets: boolean) => (meets ? 'meets' : 'MISSES');
const kb = (bytes: number) => `${(bytes / KB).toFixed(1)} KB`;
const mib = (bytes: number) => `${(bytes / 1024 / 1024).toFixed(1)} MiB`;
const ms = (value: number) => `${value.toFixed(value < 10 ? 2 : 1)} ms`;
const ratio = (value: number) => `${value.toFixed(2)}×`;
const shortPkg = (name: string) => name.replace(/^node_modules\//, '');
/** "31.4 ms (54.9 ms)": the CPU time, and the naive bundle's; blank for results without it. */
const cpuText = (t: Timing, naive?: Timing) =>
  t.cpuP50Ms === undefined ? '' : `${ms(t.cpuP50Ms)}${naive?.cpuP50Ms === undefined ? '' : ` (${ms(naive.cpuP50Ms)})`}`;

export function tables(r: BenchResults): Table[] {
  const out: Table[] = [];
  if (r.bundles) {
    const files = (bytes: number, count: number | undefined) => (count === undefined ? kb(bytes) : `${kb(bytes)} (${count})`);
    out.push({
      title: `1. Bundle size per function (serverless package --stage ${r.bundles.stage}, the shipped minified files unzipped; 1 KB = 1000 bytes)`,
      header: [
        'Function',
        'parsed at init (files)',
        'lazy chunks (files)',
        'zip',
        'Target (at init)',
        'Verdict',
        'Lambda client at init / lazy',
        'Top 5 inputs (bytes in output)',
      ],
      rows: r.bundles.functions.map((f) => {
        // Results of runs before the ES module output have one file per function.
        const initBytes = f.initBytes ?? f.jsBytes;
        const clientAtInit = f.lambdaClientAtInitBytes ?? f.lambdaClientBytes;
        return [
          f.name,
          files(initBytes, f.initFiles),
          f.lazyFiles ? files(f.lazyBytes ?? 0, f.lazyFiles) : 'none',
          kb(f.zipBytes),
          `≤ ${kb(f.targetBytes)}`,
          verdict(f.meets),
          f.lambdaClientBytes > 0 ? `${kb(clientAtInit)} / ${kb(f.lambdaClientBytes - clientAtInit)}` : 'no',
          f.topInputs.map((i) => `${shortPkg(i.name)} ${kb(i.bytes)}`).join('; '),
        ];
      }),
      notes: [
        `serverless package took ${r.bundles.packageSeconds.toFixed(1)} s.`,
        'Parsed at init: the handler file and every chunk its static imports reach, read and evaluated when Lambda loads it. ' +
          'Lazy: chunks only a dynamic import() reaches, loaded when that line runs (the Lambda client, with a lambda: ctlive target only).',
      ],
    });
  }
  if (r.coldInit) {
    const c = r.coldInit;
    out.push({
      title: `2. Cold init (loading the shipped handler in a fresh Node process, and the init work it starts; median and p90 of ${c.processesPerBundle} processes each)`,
      header: [
        'Function (ctlive target)',
        'p50',
        'p90',
        'naive p50',
        'ratio to naive',
        'CPU p50 (naive)',
        'single-file p50 (CPU)',
        'ratio to single-file (CPU)',
        'over floor',
        'Target',
        'Verdict',
        'AWS SDK clients run at init',
      ],
      rows: [
        ['hello-world floor', ms(c.floor.p50Ms), ms(c.floor.p90Ms), '', '', cpuText(c.floor), '', '', '', '', '', ''],
        ...c.rows.map((row) => [
          LAMBDA_CLIENT_FUNCTIONS.has(row.name) ? `${row.name} (${row.target})` : row.name,
          ms(row.shipped.p50Ms),
          ms(row.shipped.p90Ms),
          ms(row.naive.p50Ms),
          ratio(row.ratioToNaive),
          cpuText(row.shipped, row.naive),
          row.singleFile
            ? `${ms(row.singleFile.p50Ms)}${row.singleFile.cpuP50Ms === undefined ? '' : ` (${ms(row.singleFile.cpuP50Ms)})`}`
            : '',
          row.singleFile
            ? `${ratio(row.ratioToSingleFile)}${row.cpuRatioToSingleFile === undefined ? '' : ` (${ratio(row.cpuRatioToSingleFile)})`}`
            : '',
          `${row.overFloorMs >= 0 ? '+' : ''}${ms(row.overFloorMs)}`,
          row.targetText,
          verdict(row.meets),
          row.evaluatedAtInit.map((p) => p.replace('@aws-sdk/', '')).join(', ') || 'none',
        ]),
      ],
      notes: [
        'CPU: the CPU time of the loading process over the same span (all its threads), median; a busy machine stretches it less than the wall time the targets are on. ' +
          'Naive: esbuild defaults, one CommonJS file. Single-file: the shipped esbuild options as one CommonJS file without code splitting, ' +
          'what shipped before the ES module output; "no regression": at most 10% (and 1 ms) more CPU time than it.',
        `Whole-process medians (spawn to exit, Node's own start included): floor ${ms(c.floor.processP50Ms)}, ` +
          c.rows
            .filter((row) => row.target === 'http')
            .map((row) => `${row.name} ${ms(row.shipped.processP50Ms)}`)
            .join(', ') +
          '.',
      ],
    });
    if (r.lambdaClientWithHttpTarget) {
      out.push({
        title: '2b. The Lambda client with CTLIVE_TARGET=http(s): target "not loaded at all"',
        header: ['Function', 'run at init', 'run after one invocation', 'Verdict'],
        rows: r.lambdaClientWithHttpTarget.map((l) => [
          l.function,
          l.atInit === undefined ? '?' : l.atInit ? 'yes' : 'no',
          l.afterInvocation === undefined ? '?' : l.afterInvocation ? 'yes' : 'no',
          verdict(l.meets),
        ]),
      });
    }
  }
  if (r.warm) {
    const w = r.warm;
    out.push({
      title: `3. Warm latency per route, in process (${w.iterations} invocations each, and as many baseline runs, in alternating blocks of ${w.block} after ${w.warmup} warm-ups)`,
      header: ['Route', 'p50', 'p99', 'baseline p50', 'baseline p99', 'ratio p50', 'Target', 'Verdict', 'errors'],
      rows: w.routes.map((route) => [
        route.route,
        ms(route.handler.p50Ms),
        ms(route.handler.p99Ms),
        ms(route.baseline.p50Ms),
        ms(route.baseline.p99Ms),
        ratio(route.ratioP50),
        `≤ ${WARM_RATIO_TARGET}×`,
        verdict(route.meets),
        String(route.handler.errors + route.baseline.errors),
      ]),
      notes: [
        ...new Set(w.routes.map((route) => `${route.route.split(' ')[0]} ${route.function}: baseline = ${route.baselineText}`)),
      ].filter((_, i, all) => all.length < 20 || i < 20),
    });
    out.push({
      title: '4. Redis round trips per operation, counted at the proxy',
      header: ['Operation', 'round trips', 'commands', 'Target', 'Verdict'],
      rows: w.roundTrips.map((t) => [
        t.operation,
        String(t.requests),
        String(t.commands),
        `≤ ${t.targetRequests}`,
        verdict(t.meets),
      ]),
    });
    out.push({
      title:
        '5. Peak RSS of the warm loop, per function (its own process: the shipped bundle, its invocations and the baseline loop)',
      header: ['Function', 'RSS after load', 'peak RSS', 'invocations'],
      rows: w.memory.map((m) => [m.function, mib(m.rssAfterLoadBytes), mib(m.peakRssBytes), String(m.invocations)]),
    });
  }
  if (r.batch) {
    const b = r.batch;
    out.push({
      title: `6. Webhook batches (onMessage, shipped bundle, warm): ctlive taking ${b.latencyMs} ms per event, CTLIVE_CONCURRENCY ${b.concurrency}`,
      header: [
        'Target',
        'Results',
        'Conversations',
        'Status',
        'Wall time',
        'Target',
        'Peak RSS',
        'Redis requests',
        'Exactly once',
        'Order kept',
        'Connections',
        'Verdict',
      ],
      rows: b.rows.map((row) => [
        row.target,
        String(row.results),
        String(row.conversations),
        String(row.statusCode),
        ms(row.wallMs),
        `≤ ${ms(row.targetMs)}`,
        mib(row.peakRssBytes),
        `${row.redisRequests} (${row.redisCommands} commands)`,
        row.exactlyOnce ? 'yes' : 'NO',
        row.orderKept ? 'yes' : 'NO',
        String(row.connections),
        verdict(row.meets),
      ]),
      notes: [
        "Wall time: the one invocation, in the function's process. Redis requests: counted at the Upstash proxy (target 2: one pipeline to claim, one to settle).",
        'Exactly once and order: what ctlive (the sink, or the Lambda Invoke stand-in) received, per customer against the order of the body.',
      ],
    });
  }
  if (r.stream) {
    const st = r.stream;
    out.push({
      title: `7. Streaming fetch of a large document (${st.function}, shipped bundle, its own process, Lambda's response streaming stood in; S3 on s3rver)`,
      header: [
        'File',
        'Fetch of its process',
        'Time',
        'RSS after load',
        'RSS before',
        'Peak RSS',
        'Peak above load',
        'Kernel peak so far',
        'SHA-256',
        'Target',
        'Verdict',
      ],
      rows: st.rows.map((row) => [
        mib(row.sizeBytes),
        row.fetchInProcess === 1 ? '1st (fresh)' : `${row.fetchInProcess}nd`,
        `${row.seconds.toFixed(2)} s`,
        mib(row.rssAfterLoadBytes),
        mib(row.startBytes),
        mib(row.peakBytes),
        mib(row.peakAboveLoadBytes),
        mib(row.maxRssBytes),
        row.sha256Matches ? 'same' : 'DIFFERENT',
        `≤ ${mib(st.targetAboveLoadBytes)} above load`,
        verdict(row.meets),
      ]),
      notes: [
        "Each size in a fresh process (a new instance); the largest fetched a second time in the same one. Peak: sampled every 2 ms during the fetch; kernel peak: getrusage's maximum RSS of the process since it started, which no sampling can miss.",
        'Peak above load: the higher of the sampled peak and the kernel peak, less the RSS after load. A buffered answer would hold the whole file and its base64; ' +
          'streaming holds a few chunks, and V8 collects the spent ones each 64 MiB or so, so the peak levels off near that whatever the file.',
      ],
    });
  }
  if (r.copy) {
    const cp = r.copy;
    out.push({
      title: `8. Copying a customer's document (${cp.function}, shipped bundle, its own process; Infobip's media path on the sandbox, S3 on s3rver)`,
      header: ['File', 'Time', 'Throughput', 'RSS after load', 'Peak above load', 'Kernel peak', 'SHA-256', 'Target', 'Verdict'],
      rows: cp.rows.map((row) => [
        mib(row.sizeBytes),
        `${row.seconds.toFixed(2)} s`,
        `${row.mibPerSecond.toFixed(1)} MiB/s`,
        mib(row.rssAfterLoadBytes),
        mib(row.peakAboveLoadBytes),
        mib(row.maxRssBytes),
        row.sha256Matches ? 'same' : 'DIFFERENT',
        `≤ ${mib(cp.targetAboveLoadBytes)} above load`,
        verdict(row.meets),
      ]),
      notes: [
        'Each size in a fresh process (a new instance): download, a streamed PUT of a partial object, the S3-side copy under the final key, and the mediaStored event to the sink.',
        "SHA-256: the event's digest against the bytes the sandbox served. Throughput is this machine's loopback, not Infobip's or S3's.",
      ],
    });
  }
  return out;
}

export function textTable(t: Table): string {
  const widths = t.header.map((title, column) => Math.max(title.length, ...t.rows.map((row) => (row[column] ?? '').length)));
  const line = (cells: string[]) =>
    cells
      .map((cell, column) =>
        column === 0 || column === cells.length - 1 ? cell.padEnd(widths[column] ?? 0) : cell.padStart(widths[column] ?? 0),
      )
      .join('  ')
      .trimEnd();
  return [
    t.title,
    '',
    line(t.header),
    widths.map((w) => '-'.repeat(w)).join('  '),
    ...t.rows.map(line),
    ...(t.notes ?? []).map((n) => `  ${n}`),
  ].join('\n');
}

export function markdownTable(t: Table): string {
  const esc = (cell: string) => cell.replace(/\|/g, '\\|');
  return [
    `**${t.title}**`,
    '',
    `| ${t.header.map(esc).join(' | ')} |`,
    `| ${t.header.map((_, i) => (i === 0 || i === t.header.length - 1 ? '---' : '---:')).join(' | ')} |`,
    ...t.rows.map((row) => `| ${row.map(esc).join(' | ')} |`),
    ...(t.notes?.length ? ['', ...t.notes.map((n) => `- ${n}`)] : []),
  ].join('\n');
}

/** Every target the run missed, one line each. */
export function misses(r: BenchResults): string[] {
  const out: string[] = [];
  for (const f of r.bundles?.functions ?? [])
    if (!f.meets) out.push(`bundle ${f.name}: ${kb(f.initBytes ?? f.jsBytes)} parsed at init > ${kb(f.targetBytes)}`);
  for (const row of r.coldInit?.rows ?? []) out.push(...coldMisses(row));
  for (const l of r.lambdaClientWithHttpTarget ?? [])
    if (!l.meets) out.push(`${l.function} loads the Lambda client with an http target`);
  for (const route of r.warm?.routes ?? [])
    if (!route.meets) out.push(`warm ${route.route}: p50 ${ratio(route.ratioP50)} of baseline > ${WARM_RATIO_TARGET}×`);
  for (const t of r.warm?.roundTrips ?? [])
    if (!t.meets) out.push(`round trips ${t.operation}: ${t.requests} > ${t.targetRequests}`);
  for (const row of r.stream?.rows ?? [])
    if (!row.meets)
      out.push(
        `stream ${mib(row.sizeBytes)}: peak ${mib(row.peakAboveLoadBytes)} above load (≤ ${mib(r.stream?.targetAboveLoadBytes ?? 0)}), SHA-256 ${row.sha256Matches ? 'same' : 'different'}`,
      );
  for (const row of r.copy?.rows ?? [])
    if (!row.meets)
      out.push(
        `copy ${mib(row.sizeBytes)}: peak ${mib(row.peakAboveLoadBytes)} above load (≤ ${mib(r.copy?.targetAboveLoadBytes ?? 0)}), SHA-256 ${row.sha256Matches ? 'same' : 'different'}`,
      );
  for (const row of r.batch?.rows ?? [])
    if (!row.meets)
      out.push(
        `batch ${row.target} ${row.results} results: ${ms(row.wallMs)} (≤ ${ms(row.targetMs)}), status ${row.statusCode}, ${row.redisRequests} Redis requests, exactly once ${row.exactlyOnce}, order kept ${row.orderKept}`,
      );
  return out;
}

export function lambdaClientVerdicts(r: BenchResults): BenchResults['lambdaClientWithHttpTarget'] {
  const names = [
    ...new Set(
      (r.coldInit?.rows ?? [])
        .filter((row) => row.name === 'onMessage' || row.name === 'onDeliveryReport')
        .map((row) => row.name),
    ),
  ];
  return names.map((name) => {
    const init = r.coldInit?.rows.find((row) => row.name === name && row.target === 'http');
    const probe = r.warm?.lambdaClientProbes.find((p) => p.function === name);
    const atInit = init ? lambdaClientEvaluated(init) : undefined;
    const afterInvocation = probe ? lambdaClientLoaded(probe) : undefined;
    return { function: name, atInit, afterInvocation, meets: atInit === false && afterInvocation !== true };
  });
}
