import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { LOCAL_CREDENTIALS } from '../tools/localCredentials';
import { removeLeftovers, newLeftovers } from './cleanup';
import { functionEnv, CTLIVE_FUNCTION, type CtliveTargetKind } from './functionEnv';
import { startLambdaStandIn } from './lambdaStandIn';
import { ROOT } from './paths';
import type { References } from './references';
import { round } from './stats';
import { Child, startServers } from './warm';

/**
 * Part 6: webhooks at Infobip's batch sizes. onMessage's shipped bundle, in its
 * own process, takes one webhook of 100 and one of 2,000 results against a ctlive that
 * takes 50 ms per event, once with an http target (the ctlive sink) and once with a
 * `lambda:` target (a stand-in for the Lambda Invoke API, bench/lambdaStandIn.ts): wall
 * time of the invocation, peak RSS of the process, Redis round trips counted at the
 * Upstash proxy, and what ctlive got (each result once, each conversation in order).
 */

export const BATCH_LATENCY_MS = 50;
/** The batch targets: 100 results within 1 s, 2,000 within 10 s. */
export const BATCH_TARGETS_MS: Record<number, number> = { 100: 1_000, 2000: 10_000 };
/** Customers per batch: a busy business number, each customer writing several messages in the batch. */
const CONVERSATIONS: Record<number, number> = { 100: 20, 2000: 200 };

export interface BatchRow {
  target: CtliveTargetKind;
  results: number;
  conversations: number;
  statusCode: number;
  wallMs: number;
  targetMs: number;
  peakRssBytes: number;
  redisRequests: number;
  redisCommands: number;
  /** Results ctlive got exactly once / results sent. */
  exactlyOnce: boolean;
  orderKept: boolean;
  /** Connections ctlive (or the Lambda API) accepted during the batch. */
  connections: number;
  meets: boolean;
}

export interface BatchReport {
  latencyMs: number;
  concurrency: string;
  rows: BatchRow[];
  redisKeysRemoved: number;
  errors: string[];
}

const basicAuth = `Basic ${Buffer.from(`${LOCAL_CREDENTIALS.INFOBIP_WEBHOOK_USERNAME}:${LOCAL_CREDENTIALS.INFOBIP_WEBHOOK_PASSWORD}`).toString('base64')}`;

/** The onMessage-text event with `count` results from `conversations` customers, interleaved as a busy line sends them. */
function batchEvent(
  prefix: string,
  count: number,
  conversations: number,
): { event: string; results: Array<{ messageId: string; from: string }> } {
  const event = JSON.parse(readFileSync(join(ROOT, 'events', 'onMessage-text.json'), 'utf8')) as Record<string, unknown>;
  const body = JSON.parse(String(event.body)) as { results: Record<string, unknown>[]; messageCount?: number };
  const [first] = body.results;
  const results = Array.from({ length: count }, (_, i) => ({
    ...first,
    messageId: `${prefix}${i}`,
    from: `39${String(1_000_000 + (i % conversations))}`,
    message: { type: 'TEXT', text: `message ${Math.floor(i / conversations) + 1} of this customer in the batch` },
  }));
  body.results = results;
  body.messageCount = count;
  event.body = JSON.stringify(body);
  event.headers = { ...(event.headers as Record<string, string>), authorization: basicAuth };
  return { event: JSON.stringify(event), results: results as Array<{ messageId: string; from: string }> };
}

function check(sent: Array<{ messageId: string; from: string }>, received: Array<{ messageId?: string; from?: string }>) {
  const times = new Map<string, number>();
  for (const e of received) times.set(String(e.messageId), (times.get(String(e.messageId)) ?? 0) + 1);
  const exactlyOnce = received.length === sent.length && sent.every((r) => times.get(r.messageId) === 1);
  const order = (events: Array<{ messageId?: string; from?: string }>) => {
    const out = new Map<string, string[]>();
    for (const e of events) out.set(String(e.from), [...(out.get(String(e.from)) ?? []), String(e.messageId)]);
    return out;
  };
  const want = order(sent);
  const got = order(received);
  const orderKept = [...want].every(([from, ids]) => (got.get(from) ?? []).join(' ') === ids.join(' '));
  return { exactlyOnce, orderKept };
}

export async function measureBatches(
  onMessageBundle: string,
  refs: References,
  options: { redisUrl?: string; sizes?: number[]; concurrency?: string },
  progress: (line: string) => void,
): Promise<BatchReport> {
  const stack = await startServers(options.redisUrl);
  const lambda = await startLambdaStandIn(BATCH_LATENCY_MS);
  stack.sink.setLatency(BATCH_LATENCY_MS);
  const idPrefix = `bench-${randomBytes(4).toString('hex')}-`;
  const leftovers = newLeftovers(idPrefix);
  const report: BatchReport = {
    latencyMs: BATCH_LATENCY_MS,
    concurrency: options.concurrency ?? 'default (16)',
    rows: [],
    redisKeysRemoved: 0,
    errors: [],
  };
  try {
    for (const target of ['http', 'lambda'] as const) {
      for (const size of options.sizes ?? [100, 2000]) {
        const env = {
          ...functionEnv('onMessage', stack.services, target),
          ...(target === 'lambda' ? { CTLIVE_LAMBDA_ENDPOINT: lambda.url } : {}),
          ...(options.concurrency === undefined ? {} : { CTLIVE_CONCURRENCY: options.concurrency }),
        };
        const child = new Child(refs.warmChild, env);
        try {
          await child.ask({ type: 'load', bundle: onMessageBundle, idPrefix }, 'loaded');
          // A warm function: the first invocation (and, for lambda:, the SDK's lazy load) is not what is measured.
          const warm = await child.ask(
            { type: 'invoke', event: batchEvent(`${idPrefix}warm-${target}-${size}-`, 1, 1).event },
            'invoked',
          );
          if (warm.statusCode !== 200)
            throw new Error(`the warm-up webhook answered ${warm.statusCode}: ${warm.body.slice(0, 300)}`);
          const conversations = CONVERSATIONS[size] ?? Math.max(1, Math.round(size / 10));
          const batch = batchEvent(`${idPrefix}${target}-${size}-`, size, conversations);
          stack.sink.reset();
          lambda.reset();
          stack.proxy.resetCounts();
          const connectionsBefore = target === 'http' ? stack.sink.connections() : lambda.connections();
          const r = await child.ask({ type: 'invoke', event: batch.event }, 'invoked');
          const counts = stack.proxy.counts();
          const connections = (target === 'http' ? stack.sink.connections() : lambda.connections()) - connectionsBefore;
          const received =
            target === 'http'
              ? (stack.sink.received as Array<{ messageId?: string; from?: string }>)
              : lambda.received
                  .filter((inv) => inv.functionName === CTLIVE_FUNCTION)
                  .map((inv) => inv.event as { messageId?: string; from?: string });
          const { exactlyOnce, orderKept } = check(batch.results, received);
          const done = await child.ask({ type: 'done' }, 'done');
          const targetMs = BATCH_TARGETS_MS[size] ?? Number.POSITIVE_INFINITY;
          const row: BatchRow = {
            target,
            results: size,
            conversations,
            statusCode: r.statusCode,
            wallMs: round(r.ms, 1),
            targetMs,
            peakRssBytes: done.maxRssBytes,
            redisRequests: counts.requests,
            redisCommands: counts.commands,
            exactlyOnce,
            orderKept,
            connections,
            meets: r.statusCode === 200 && r.ms <= targetMs && exactlyOnce && orderKept && counts.requests === 2,
          };
          report.rows.push(row);
          progress(
            `  batch: ${target} ${size} results: ${row.wallMs} ms, status ${row.statusCode}, ${row.redisRequests} Redis requests, exactly once ${exactlyOnce}, order kept ${orderKept}, ${connections} connections`,
          );
        } catch (error: unknown) {
          report.errors.push(`batch ${target} ${size}: ${error instanceof Error ? error.message : String(error)}`);
          progress(`  batch: ${target} ${size} FAILED: ${error instanceof Error ? error.message : String(error)}`);
        } finally {
          child.kill();
        }
      }
    }
  } finally {
    report.redisKeysRemoved = await removeLeftovers(stack.redisUrl, leftovers).catch(() => -1);
    await lambda.close();
    await stack.sink.close();
    await stack.sandbox.close();
    await stack.proxy.close();
    await stack.stopRedis();
  }
  return report;
}
