/**
 * The reliability half of `npm run figures:promote` (tools/figures.ts). A test run writes
 * its figures to test/reliability/results/latest/ (git-ignored); promoting merges them,
 * section by section and only where newer, into the committed
 * test/reliability/results/{faults,load}.json, and docs/reliability.md is generated from
 * those committed files, so that every number there comes from a run, never from a hand.
 */
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { relative } from 'node:path';
import {
  PROMOTED_FILE as FAULTS_FILE,
  RESULTS_FILE as LATEST_FAULTS_FILE,
  summarise,
  type ResultsFile,
} from './faultSupport/results';
import type { LoadFigures } from './loadSupport/autocannon';
import { PROMOTED_FILE as LOAD_FILE, RESULTS_FILE as LATEST_LOAD_FILE } from './loadSupport/results';
import type { Workload } from './loadSupport/workload';

export const RELIABILITY_MARKERS = ['<!-- reliability:results:start -->', '<!-- reliability:results:end -->'] as const;

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
  sections: Record<string, Record<string, unknown>>;
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
  /** The batches of 2,000; absent from results promoted before it. */
  exactlyOnceBatches?: {
    seconds: number;
    batches: number;
    resultsPerBatch: number;
    conversations: number;
    webhooks: number;
    attempts: number;
    mostAttemptsForOneWebhook: number;
    ctlive: { received: number; refused: number; distinctMessageIds: number };
    outOfOrderConversations: number;
  };
  load: { finishedAt: string; commit?: string; secondsPerRoute: number; scenarios: LoadFigures[] };
  /** Customers' files of one batch copied; absent from results promoted before it. */
  inboundMediaCopies?: {
    commit?: string;
    machine: { node: string; cpu: string; cpus: number };
    files: number;
    storedOnce: number;
    lost: number;
    duplicated: number;
    failedByReason: Record<string, number>;
    failureDestination: number;
    peakRateAtInfobip: number;
    infobipRequests: number;
    cdnRequests: number;
    answered429: number;
    attempts: number;
    peakConcurrency: number;
    seconds: number;
  };
}

function copyFigures(c: NonNullable<LoadFile['inboundMediaCopies']>): string[] {
  const failed = Object.entries(c.failedByReason);
  return [
    '',
    `**Customers' files, a batch of ${n(c.files)}** (\`load.test.ts\`, commit ${c.commit ?? 'unknown'}): one webhook of ${n(c.files)} photos`,
    `(one in four behind a 302 to the sandbox's CDN), each copy an asynchronous invoke run ${c.peakConcurrency} at a time as the`,
    `copier's reserved concurrency allows: ${n(c.storedOnce)} stored and announced once, lost ${n(c.lost)}, duplicated ${n(c.duplicated)},`,
    `failed ${failed.length === 0 ? '0' : failed.map(([reason, count]) => `${reason} ${n(count)}`).join(', ')}, in the failure destination ${n(c.failureDestination)}.`,
    `At Infobip: ${n(c.infobipRequests)} downloads (and ${n(c.cdnRequests)} at the CDN), at most ${c.peakRateAtInfobip} in any one second,`,
    `${n(c.answered429)} answered 429; ${n(c.attempts)} runs; ${c.seconds} s from the webhook to the last announcement.`,
  ];
}

function batchFigures(b: NonNullable<LoadFile['exactlyOnceBatches']>): string[] {
  return [
    '',
    `**Exactly once, batches of ${n(b.resultsPerBatch)}** (\`exactlyOnce.test.ts\`): ${b.batches} bodies of ${n(b.resultsPerBatch)} results`,
    `(${n(b.ctlive.distinctMessageIds)} distinct in ${n(b.conversations)} conversations, each body repeating some of its own), each posted twice at`,
    `the same moment (over HTTP and in process), then a late re-send: ${n(b.webhooks)} webhooks, ${n(b.attempts)} attempts (at most`,
    `${b.mostAttemptsForOneWebhook} for one), ctlive refusing every 20th forward (${n(b.ctlive.refused)}). ctlive received ${n(b.ctlive.received)} events,`,
    `each messageId once; conversations out of order: ${b.outOfOrderConversations}; ${b.seconds} s.`,
  ];
}

const read = <T>(file: string): T => JSON.parse(readFileSync(file, 'utf8')) as T;
const write = (file: string, content: unknown) => writeFileSync(file, `${JSON.stringify(content, null, 2)}\n`);
const n = (value: number | undefined) => (value ?? 0).toLocaleString('en-US');

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
  const out = faults.sections['faults.outboundExactlyOnce'] as Record<string, number> | undefined;
  const outRow =
    out === undefined
      ? []
      : [
          `| outbound messages at Infobip exactly once | ${n(out.messagesAtSandbox)} of ${n(out.messagesRequested)} (duplicates ${n(out.duplicates)}, lost ${n(out.lost)}) |`,
        ];
  const counted = (prefix: string) =>
    out === undefined
      ? ''
      : Object.entries(out)
          .filter(([name]) => name.startsWith(prefix))
          .map(([name, value]) => `${name.slice(prefix.length)} ${n(value)}`)
          .join(', ');
  const outParagraph =
    out === undefined
      ? []
      : [
          '',
          `**Exactly once on the way out** (\`outboundOnce.test.ts\`): ${n(out.messagesRequested)} texts and images under`,
          `Idempotency-Keys, ${n(out.ctliveRequests)} ctlive requests (one message in ten posted twice at once), ${n(out.attempts)}`,
          `attempts in ${n(Math.round((out.wallMs ?? 0) / 1000))} s, retried on ctlive's timeout, on 5xx and after Retry-After. OMNI sends:`,
          `${counted('infobip:')}. Redis: ${counted('redis:')}. Functions killed: ${counted('killed:')}.`,
          `Answers: ${counted('answer:')}. At the sandbox: ${n(out.messagesAtSandbox)} messages, ${n(out.duplicates)} duplicated,`,
          `${n(out.lost)} lost; requests left without a 200: ${n(out.unanswered)}.`,
        ];
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
    ...outRow,
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
    ...(load.exactlyOnceBatches === undefined ? [] : batchFigures(load.exactlyOnceBatches)),
    ...(load.inboundMediaCopies === undefined ? [] : copyFigures(load.inboundMediaCopies)),
    ...outParagraph,
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

/** The docs/reliability.md block, from the committed (promoted) results files. */
export function reliabilityFigures(): string {
  return figures(read<FaultsFile>(FAULTS_FILE), read<LoadFile>(LOAD_FILE));
}

const PROMOTION_FILES = { latestFaults: LATEST_FAULTS_FILE, faults: FAULTS_FILE, latestLoad: LATEST_LOAD_FILE, load: LOAD_FILE };

/** Whether a section of the latest run should replace the committed one: it is new or newer. */
const newer = (latest: string | undefined, committed: string | undefined) =>
  latest !== undefined && (committed === undefined || latest > committed);

/**
 * Merges the latest run's sections into the committed results files; returns one line per
 * section promoted. A section the latest run did not touch (one test file run alone) keeps
 * its committed figures.
 */
export function promoteReliability(root: string, files = PROMOTION_FILES): string[] {
  const promoted: string[] = [];
  if (existsSync(files.latestFaults)) {
    const latest = read<ResultsFile>(files.latestFaults);
    const committed: ResultsFile = existsSync(files.faults) ? read<ResultsFile>(files.faults) : { summary: {}, sections: {} };
    for (const [name, section] of Object.entries(latest.sections)) {
      if (!newer(section.ranAt, committed.sections[name]?.ranAt)) continue;
      committed.sections[name] = section;
      promoted.push(`${relative(root, files.faults)}: ${name} (${section.ranAt})`);
    }
    committed.summary = summarise(committed.sections);
    if (promoted.length > 0) write(files.faults, committed);
  }
  if (existsSync(files.latestLoad)) {
    type Section = { finishedAt?: string };
    const latest = read<Record<string, Section>>(files.latestLoad);
    const committed: Record<string, Section> = existsSync(files.load) ? read<Record<string, Section>>(files.load) : {};
    let changed = false;
    for (const [name, section] of Object.entries(latest)) {
      if (!newer(section.finishedAt, committed[name]?.finishedAt)) continue;
      committed[name] = section;
      changed = true;
      promoted.push(`${relative(root, files.load)}: ${name} (${section.finishedAt})`);
    }
    if (changed) write(files.load, committed);
  }
  return promoted;
}
