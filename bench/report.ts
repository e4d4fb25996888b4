import type { BundleReport } from './bundles';
import type { HttpReport } from './http';
import type { MemoryResult } from './memory';
import { kib, mib, ms, table } from './table';

/** The human-readable half of the bench's output; bench/results/latest.json is the other. */

export function bundleSection(report: BundleReport): string {
  const rows = report.functions.map((f) => [
    f.name,
    kib(f.zipBytes),
    kib(f.jsBytes),
    f.mapBytes > 0 ? kib(f.mapBytes) : '-',
    f.otherBytes > 0 ? kib(f.otherBytes) : '-',
    `${((f.zipBytes / report.budgetBytes) * 100).toFixed(0)}%${f.overBudget ? ' OVER BUDGET' : ''}`,
  ]);
  const lines = [
    `1. Bundle size per function (serverless package --stage ${report.stage} of a copy of the working tree, ${report.packageSeconds.toFixed(1)} s; budget ${kib(report.budgetBytes)} per zip)`,
    '',
    table(['function', 'zip', '.js', '.js.map', 'other files', 'of budget'], rows),
    '',
    'zip = the artifact Lambda loads; .js = the function\'s bundled handler, unzipped.',
  ];
  for (const f of report.functions) {
    if (f.otherFiles.length > 0) lines.push(`WARNING: ${f.name}.zip also holds ${f.otherFiles.join(', ')}: not this function's code.`);
  }
  for (const f of report.functions) {
    if (!f.contributors) continue;
    const top = f.contributors.slice(0, 6).map((c) => `${c.name} ${kib(c.bytes)}`).join(', ');
    lines.push(`${f.name}${f.overBudget ? ' (over budget)' : ' (largest)'} .js by package: ${top}`);
  }
  return lines.join('\n');
}

export function httpSection(report: HttpReport, stackStartSeconds: number): string {
  const rows = report.scenarios.map((s) =>
    s.measured
      ? [s.request, (s.requestsPerSecond ?? 0).toFixed(0), ms(s.p50Ms), ms(s.p99Ms), ms(s.maxMs), String(s.requests ?? 0), String(s.non2xx ?? 0), String(s.errors ?? 0)]
      : [s.request, '-', '-', '-', '-', '-', '-', '-'],
  );
  const lines = [
    `2. Latency and throughput over HTTP on 127.0.0.1 (${report.connections} connections, ${report.durationSeconds} s per scenario after a warm-up; stack up in ${stackStartSeconds.toFixed(1)} s)`,
    '',
    table(['request', 'req/s', 'p50', 'p99', 'max', 'requests', 'non-2xx', 'errors'], rows),
    '',
  ];
  for (const s of report.scenarios) if (s.note) lines.push(`${s.name}: ${s.note}`);
  lines.push('', 'Targets (informational; timing on a shared machine is noisy, so they never fail the run):');
  for (const s of report.scenarios) {
    const verdict = !s.measured || s.p99Ms === undefined ? 'not measured' : s.p99Ms < s.targetP99Ms ? `met (p99 ${ms(s.p99Ms)})` : `MISSED (p99 ${ms(s.p99Ms)})`;
    lines.push(`  ${s.name} p99 < ${s.targetP99Ms} ms locally: ${verdict}`);
  }
  lines.push(
    '',
    'These numbers include serverless-offline\'s own overhead (its HTTP server, an event built per',
    'request, a worker thread per concurrent invocation), an HTTP hop to the local Upstash proxy for',
    'every Redis command, and, for each send, the sandbox fetching the file and posting a delivery',
    'report back through the same API. They compare runs on this machine; they do not predict',
    'API Gateway + Lambda latency in production.',
  );
  return lines.join('\n');
}

export function memorySection(results: MemoryResult[], memorySizeMb: number | undefined): string {
  const fileBytes = results.find((r) => r.measurement)?.measurement?.fileBytes;
  const rows = results.map((r) => {
    const m = r.measurement;
    if (!m) return [r.scenario, '-', '-', '-', '-', '-', `FAILED: ${r.error ?? ''}`.slice(0, 100)];
    const delta = m.peakRssBytes - m.baselineRssBytes;
    return [r.scenario, mib(m.baselineRssBytes), mib(m.peakRssBytes), `${m.peakIsExact ? '' : '≤ '}${mib(delta)}`, mib(m.retainedBytes), ms(m.durationMs), m.check];
  });
  // Lambda's "MB" of memory are MiB.
  const budget = memorySizeMb === undefined ? undefined : (memorySizeMb * 1024 * 1024) / 4;
  const lines = [
    `3. Memory of the media path for one ${fileBytes === undefined ? '?' : mib(fileBytes)} file (MEDIA_MAX_BYTES), in-process, one fresh Node process each`,
    '',
    table(['scenario', 'baseline RSS', 'peak RSS', 'peak Δ', 'retained', 'time', 'check'], rows),
    '',
  ];
  for (const r of results) lines.push(`  ${r.scenario}: ${r.what}`);
  lines.push(
    '',
    'Measured: RSS after full GCs just before the call (baseline), and the kernel\'s peak-RSS mark',
    '(getrusage maxRSS) after it; "≤" means the call did not raise the mark set earlier, so the delta',
    'is an upper bound. Retained = heap + external still held after the call and more full GCs.',
    'Real handler factories of lib/, the real Upstash client through the local proxy to Redis, the',
    'real Infobip client to the sandbox. Not measured: the serverless-offline workers themselves',
    '(not observable from here), nor Lambda\'s runtime; local Node is ' + process.version + ', AWS runs Node 22.',
  );
  if (budget !== undefined) {
    lines.push('', `Target (informational): peak Δ < a quarter of the functions' memorySize ${memorySizeMb} MB (${mib(budget)}):`);
    for (const r of results) {
      const m = r.measurement;
      if (!m) continue;
      const delta = m.peakRssBytes - m.baselineRssBytes;
      lines.push(`  ${r.scenario}: ${delta < budget ? 'met' : 'MISSED'} (${mib(delta)})`);
    }
  }
  return lines.join('\n');
}
