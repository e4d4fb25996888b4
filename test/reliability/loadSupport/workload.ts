import { inboundMessagePayload } from '../../../tools/infobipSandbox';

/**
 * What the exactly-once run sends: every unique inbound result at least once, plus
 * duplicates in the three ways Infobip produces them, spread over the two ways in
 * (the local stack's HTTP API, and the handlers in this process), in a shuffled order.
 */

export type Route = 'http' | 'inProcess';

export interface PlannedWebhook {
  route: Route;
  body: string;
  messageIds: string[];
}

/** Webhooks posted at the same moment: one, or several identical copies (concurrent duplicates). */
export type Job = PlannedWebhook[];

export interface WorkloadOptions {
  runId: string;
  uniqueResults: number;
  /** Share of all results sent that are duplicates, e.g. 0.2. */
  duplicateShare: number;
  /** At least this many results (duplicates included) go through the HTTP API. */
  httpResults: number;
  random: () => number;
}

export interface Workload {
  /** Each unique result as sent, by messageId: what ctlive must receive, once. */
  results: Map<string, Record<string, unknown>>;
  jobs: { http: Job[]; inProcess: Job[] };
  planned: {
    webhooks: number;
    batchedWebhooks: number;
    resultsSent: number;
    uniqueResults: number;
    duplicatesSent: number;
    concurrentDuplicates: number;
    resendDuplicates: number;
    rebatchedDuplicates: number;
    httpResults: number;
    inProcessResults: number;
  };
}

/** Infobip sends one result per webhook most of the time, and batches when traffic builds up. */
const BATCH_SIZES = [1, 1, 1, 1, 2, 2, 3, 5];
/** Message types in the mix: every one must be forwarded, and de-duplicated alike. */
const TYPES = [
  'TEXT',
  'TEXT',
  'TEXT',
  'IMAGE',
  'DOCUMENT',
  'AUDIO',
  'VOICE',
  'VIDEO',
  'STICKER',
  'LOCATION',
  'CONTACT',
  'BUTTON',
  'INTERACTIVE_BUTTON_REPLY',
  'REACTION',
  'UNSUPPORTED',
  'SOME_FUTURE_TYPE',
];

/** A small seeded generator (mulberry32), so a failing run can be replayed from its seed. */
export function seeded(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const pick = <T>(items: readonly T[], random: () => number): T => items[Math.floor(random() * items.length)] as T;

function shuffle<T>(items: T[], random: () => number): T[] {
  for (let i = items.length - 1; i > 0; i--) {
    const j = Math.floor(random() * (i + 1));
    [items[i], items[j]] = [items[j] as T, items[i] as T];
  }
  return items;
}

const webhookBody = (results: unknown[]) => JSON.stringify({ results, messageCount: results.length, pendingMessageCount: 0 });

export function planWorkload(options: WorkloadOptions): Workload {
  const { random } = options;
  const results = new Map<string, Record<string, unknown>>();
  for (let n = 1; n <= options.uniqueResults; n++) {
    const messageId = `${options.runId}${String(n).padStart(6, '0')}`;
    const [result] = inboundMessagePayload({ messageId, type: pick(TYPES, random), text: `exactly once #${n}` }).results;
    results.set(messageId, result as Record<string, unknown>);
  }
  const ids = [...results.keys()];
  const resultsOf = (messageIds: string[]) => messageIds.map((id) => results.get(id));

  // Originals: every unique result once, in batches.
  const originals: string[][] = [];
  for (let i = 0; i < ids.length;) {
    const size = pick(BATCH_SIZES, random);
    originals.push(ids.slice(i, i + size));
    i += size;
  }

  // Duplicates, about a third each: an identical copy posted at the same moment as the
  // original; the same webhook posted again later (Infobip never saw our 200); the same
  // results again in a differently made-up batch.
  const duplicateBudget = Math.round((options.uniqueResults * options.duplicateShare) / (1 - options.duplicateShare));
  const concurrentCopies = new Map<number, number>(); // original index → extra copies
  const resends: string[][] = [];
  const rebatched: string[][] = [];
  let concurrentDuplicates = 0;
  let resendDuplicates = 0;
  let rebatchedDuplicates = 0;
  const spent = () => concurrentDuplicates + resendDuplicates + rebatchedDuplicates;
  while (spent() < duplicateBudget) {
    const left = duplicateBudget - spent();
    const kind = Math.floor(random() * 3);
    if (kind === 0) {
      const index = Math.floor(random() * originals.length);
      const original = originals[index] as string[];
      if (original.length > left) continue;
      concurrentCopies.set(index, (concurrentCopies.get(index) ?? 0) + 1);
      concurrentDuplicates += original.length;
    } else if (kind === 1) {
      const original = pick(originals, random);
      if (original.length > left) continue;
      resends.push(original);
      resendDuplicates += original.length;
    } else {
      const size = Math.min(left, pick(BATCH_SIZES, random));
      const batch = new Set<string>();
      while (batch.size < size) batch.add(pick(ids, random));
      rebatched.push([...batch]);
      rebatchedDuplicates += size;
    }
  }

  const groups: string[][][] = [
    ...originals.map((messageIds, index) => Array.from({ length: 1 + (concurrentCopies.get(index) ?? 0) }, () => messageIds)),
    ...resends.map((messageIds) => [messageIds]),
    ...rebatched.map((messageIds) => [messageIds]),
  ];
  shuffle(groups, random);

  // Routes: webhooks through the HTTP API until it has its share, the rest in process.
  // A concurrent copy may take the other route than its original: both share Redis and ctlive.
  let httpResults = 0;
  const jobs: Workload['jobs'] = { http: [], inProcess: [] };
  for (const group of groups) {
    const job: Job = group.map((messageIds) => {
      const route: Route = httpResults < options.httpResults && random() < 0.5 ? 'http' : 'inProcess';
      if (route === 'http') httpResults += messageIds.length;
      return { route, messageIds, body: webhookBody(resultsOf(messageIds)) };
    });
    jobs[(job[0] as PlannedWebhook).route].push(job);
  }
  if (httpResults < options.httpResults) {
    // The coin fell short: move whole in-process jobs over until the HTTP API has its share.
    while (httpResults < options.httpResults && jobs.inProcess.length > 0) {
      const job = jobs.inProcess.pop() as Job;
      for (const webhook of job) {
        if (webhook.route === 'inProcess') httpResults += webhook.messageIds.length;
        webhook.route = 'http';
      }
      jobs.http.push(job);
    }
  }

  const webhooks = [...jobs.http, ...jobs.inProcess].flat();
  const resultsSent = webhooks.reduce((sum, w) => sum + w.messageIds.length, 0);
  return {
    results,
    jobs,
    planned: {
      webhooks: webhooks.length,
      batchedWebhooks: webhooks.filter((w) => w.messageIds.length > 1).length,
      resultsSent,
      uniqueResults: options.uniqueResults,
      duplicatesSent: resultsSent - options.uniqueResults,
      concurrentDuplicates,
      resendDuplicates,
      rebatchedDuplicates,
      httpResults,
      inProcessResults: resultsSent - httpResults,
    },
  };
}
