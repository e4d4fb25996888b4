/**
 * `npm run reliability:readme`: writes the figures of the README's Reliability section
 * from the result files the last `npm run test:reliability` left behind, so that every
 * number there comes from a run, never from a hand.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { LoadFigures } from './loadSupport/autocannon';
import type { Workload } from './loadSupport/workload';

const ROOT = join(__dirname, '..', '..');
const README = join(ROOT, 'README.md');
const START = '<!-- reliability:results:start -->';
const END = '<!-- reliability:results:end -->';

interface FaultsFile {
  summary: {
    casesRun: number;
    casesPassed: number;
    faultCases: number;
    faultsSurvived: number;
    badInputsTried: number;
    badInputsPerEndpoint: Record<string, number>;
    attacksRun: number;
    attacksPassed: number;
    errors: number;
  };
}

interface LoadFile {
  exactlyOnce: {
    finishedAt: string;
    commit?: string;
    machine: { node: string; cpu: string; cpus: number };
    planned: Workload['planned'];
    answers: {
      retries: number;
      mostAttemptsForOneWebhook: number;
      undelivered: number;
      duplicatesSuppressed: number;
      notOkAnswers: Record<string, number>;
    };
    ctlive: { received: number; refused: number; distinctMessageIds: number };
  };
  load: { finishedAt: string; commit?: string; secondsPerRoute: number; scenarios: LoadFigures[] };
}

const read = <T>(name: string): T =>
  JSON.parse(readFileSync(join(ROOT, 'test', 'reliability', 'results', name), 'utf8')) as T;
const n = (value: number) => value.toLocaleString('en-US');

function figures(faults: FaultsFile, load: LoadFile): string {
  const s = faults.summary;
  const once = load.exactlyOnce;
  const underLoad = load.load.scenarios.reduce((sum, scenario) => sum + scenario.requests, 0);
  const loadErrors = load.load.scenarios.reduce((sum, x) => sum + x.errors + x.non2xx + x.timeouts, 0);
  const endpoints = Object.keys(s.badInputsPerEndpoint).length;
  const perEndpoint = Math.min(...Object.values(s.badInputsPerEndpoint));
  const retries = Object.entries(once.answers.notOkAnswers)
    .map(([answer, count]) => `${n(count)} after ${answer}`)
    .join(', ');
  const lines = [
    `From the last full run (faults, bad input and attacks: \`test/reliability/results/faults.json\`;`,
    `exactly once and load: \`test/reliability/results/load.json\`, commit ${once.commit ?? 'unknown'},`,
    `${once.machine.cpu} × ${once.machine.cpus}, Node ${once.machine.node}):`,
    '',
    '| figure | value |',
    '|---|---|',
    `| cases run (faults, bad input, attacks) | ${n(s.casesRun)}, ${n(s.casesPassed)} passed |`,
    `| faults survived | ${n(s.faultsSurvived)} of ${n(s.faultCases)} fault cases |`,
    `| attacks repelled | ${n(s.attacksPassed)} of ${n(s.attacksRun)} |`,
    `| bad inputs tried | ${n(s.badInputsTried)}: at least ${n(perEndpoint)} for each of the ${endpoints} endpoints |`,
    `| inbound results forwarded exactly once | ${n(once.ctlive.distinctMessageIds)} of ${n(once.planned.uniqueResults)} (ctlive received ${n(once.ctlive.received)}) |`,
    `| duplicates sent / suppressed | ${n(once.planned.duplicatesSent)} / ${n(once.answers.duplicatesSuppressed)} |`,
    `| requests under load | ${n(underLoad)} |`,
    `| errors | ${n(s.errors + loadErrors + once.answers.undelivered)} |`,
    '',
    `**Exactly once** (\`exactlyOnce.test.ts\`): ${n(once.planned.resultsSent)} inbound results in`,
    `${n(once.planned.webhooks)} webhooks (${n(once.planned.batchedWebhooks)} of them batches): ${n(once.planned.uniqueResults)} unique messageIds plus`,
    `${n(once.planned.duplicatesSent)} duplicates (${n(once.planned.concurrentDuplicates)} posted at the same moment as their original,`,
    `${n(once.planned.resendDuplicates)} re-posted later, ${n(once.planned.rebatchedDuplicates)} in other batches); ${n(once.planned.httpResults)} through the local`,
    `stack's HTTP API, ${n(once.planned.inProcessResults)} through the same handler in process, on the same Redis and ctlive.`,
    `ctlive refused ${n(once.ctlive.refused)} forwards (every 20th), and every non-2xx was retried with the same body,`,
    `as Infobip retries: ${n(once.answers.retries)} retries (${retries}), at most`,
    `${once.answers.mostAttemptsForOneWebhook} attempts for one webhook. More duplicates are suppressed than were sent because a`,
    'batch retried after a refusal brings back the results already forwarded.',
    '',
    `**Load** (\`load.test.ts\`): autocannon against the local stack, ${load.load.secondsPerRoute} s per route after a warm-up:`,
    '',
    '| route | connections | requests | req/s | p50 | p99 | errors / non-2xx / timeouts |',
    '|---|---:|---:|---:|---:|---:|---|',
    ...load.load.scenarios.map(
      (x) =>
        `| \`${x.route}\` | ${x.connections} | ${n(x.requests)} | ${x.requestsPerSecond} | ${x.p50Ms} ms | ${x.p99Ms} ms | ${x.errors} / ${x.non2xx} / ${x.timeouts} |`,
    ),
  ];
  return lines.join('\n');
}

const readme = readFileSync(README, 'utf8');
const from = readme.indexOf(START);
const to = readme.indexOf(END);
if (from < 0 || to < from) throw new Error(`README.md has no ${START} … ${END} block`);
const block = figures(read<FaultsFile>('faults.json'), read<LoadFile>('load.json'));
writeFileSync(README, `${readme.slice(0, from + START.length)}\n${block}\n${readme.slice(to)}`);
process.stdout.write('README.md: Reliability figures rewritten from test/reliability/results/\n');
