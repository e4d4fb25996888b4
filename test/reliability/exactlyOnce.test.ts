/**
 * Exactly once under load. Over ten thousand inbound results, a fifth of
 * everything sent being duplicates (some posted at the same moment as their original, some
 * re-posted later, some in other batches), one forward in twenty refused by ctlive, and
 * every non-2xx retried the way Infobip retries: ctlive receives each messageId once.
 *
 * The results go in through the local stack's HTTP API (serverless-offline running the
 * bundled function) and through the same handler in this process, on the same Redis and
 * the same ctlive sink, so a duplicate may come in by the other way than its original.
 */
import { randomBytes } from 'node:crypto';
import { redisKeys } from '../../lib/platform/redis';
import { inboundMessagePayload, webhookAuthHeaders } from '../../tools/infobipSandbox';
import { webhookAuthOf } from '../../tools/stack';
import type { PostWebhook, RetryPolicy } from './loadSupport/infobipRetry';
import { inProcessOnMessage } from './loadSupport/inProcess';
import { recordResults } from './loadSupport/results';
import { deliverLikeInfobip } from './loadSupport/infobipRetry';
import { runJobs, tally, type Sent } from './loadSupport/runner';
import { deleteKeys, readKeys, startLoadStack, type LoadStack } from './loadSupport/stack';
import { planWorkload, seeded } from './loadSupport/workload';

const UNIQUE_RESULTS = 10_000;
const DUPLICATE_SHARE = 0.2;
/** Through serverless-offline: slower, so the smaller part, but well over the 1,000 asked for. */
const HTTP_RESULTS = 2_000;
/** ctlive refuses every 20th forward: 5 %. */
const FAIL_EVERY = 20;
const HTTP_CONCURRENCY = 8;
const IN_PROCESS_CONCURRENCY = 24;
const IN_PROCESS_CONTAINERS = 8;
const RETRY: RetryPolicy = { maxAttempts: 12, baseDelayMs: 20, maxDelayMs: 500 };
/** Infobip gives up on a webhook after a while; a cold serverless-offline worker takes seconds. */
const HTTP_TIMEOUT_MS = 30_000;

interface CtliveEvent {
  event: string;
  messageId: string;
  from?: string;
  raw: unknown;
}

/** Infobip's largest batch (maxBucketSize 2000), a few of them, from their own customers each. */
const BATCHES = 3;
const BATCH_SIZE = 2_000;
const CUSTOMERS_PER_BATCH = 100;
/** Each body repeats this many of its own results at its end (a duplicate inside one body): 2,000 results, fewer distinct. */
const REPEATS_IN_BODY = 100;
const DISTINCT_PER_BATCH = BATCH_SIZE - REPEATS_IN_BODY;
/** A later re-send of the first batch's first results, as Infobip does after a lost answer. */
const RESENT = 500;
/** A copy is answered 503 while its twin forwards: it may need many more attempts than a small webhook. */
const BATCH_RETRY: RetryPolicy = { maxAttempts: 40, baseDelayMs: 20, maxDelayMs: 1_000 };

describe('exactly once under load, with duplicates, failing forwards and Infobip retries', () => {
  let ls: LoadStack;
  const seed = randomBytes(4).readUInt32BE();
  const runId = `wamid.RELIABILITY${randomBytes(4).toString('hex').toUpperCase()}N`;
  const keys: string[] = [];

  beforeAll(async () => {
    ls = await startLoadStack();
  }, 180_000);

  afterAll(async () => {
    if (ls === undefined) return;
    await deleteKeys(ls.redis, keys).catch(() => undefined);
    await ls.stop();
  }, 60_000);

  it(`ctlive receives each of ${UNIQUE_RESULTS} messageIds exactly once (seed in the results file)`, async () => {
    const { stack } = ls;
    const random = seeded(seed);
    const workload = planWorkload({
      runId,
      uniqueResults: UNIQUE_RESULTS,
      duplicateShare: DUPLICATE_SHARE,
      httpResults: HTTP_RESULTS,
      random,
    });
    const workloadKeys = [...workload.results.keys()].map((id) => redisKeys.webhookEvent('message', id));
    keys.push(...workloadKeys);
    const headers = { 'content-type': 'application/json', ...webhookAuthHeaders(webhookAuthOf(stack.env)) };
    const overHttp: PostWebhook = async (body) => {
      const res = await fetch(`${stack.apiUrl}/onMessage`, {
        method: 'POST',
        headers,
        body,
        signal: AbortSignal.timeout(HTTP_TIMEOUT_MS),
      });
      return { status: res.status, body: await res.text() };
    };
    const inProcess = inProcessOnMessage(stack, IN_PROCESS_CONTAINERS);
    const routes = { http: overHttp, inProcess: inProcess.post };
    // serverless-offline starts a worker per concurrent call: start them before the run, so
    // that their cold starts (seconds of CPU on a small machine) do not stall the run.
    const warmIds = Array.from({ length: HTTP_CONCURRENCY }, (_, i) => `${runId}W${i}`);
    keys.push(...warmIds.map((id) => redisKeys.webhookEvent('message', id)));
    const warm = await Promise.all(warmIds.map((messageId) => overHttp(JSON.stringify(inboundMessagePayload({ messageId })))));
    expect(warm.map((w) => w.status)).toEqual(warmIds.map(() => 200));
    stack.sink.reset();
    stack.sink.failEvery(FAIL_EVERY, 500);

    const started = performance.now();
    const secondsSince = () => Math.round((performance.now() - started) / 100) / 10;
    const timed = async (run: Promise<Sent[]>) => ({ sent: await run, seconds: secondsSince() });
    const [http, local] = await Promise.all([
      timed(runJobs(workload.jobs.http, HTTP_CONCURRENCY, routes, RETRY, random)),
      timed(runJobs(workload.jobs.inProcess, IN_PROCESS_CONCURRENCY, routes, RETRY, random)),
    ]);
    stack.sink.failEvery(0);

    const sent = [...http.sent, ...local.sent];
    const answers = tally(sent);
    const received = stack.sink.received as CtliveEvent[];
    const timesReceived = new Map<string, number>();
    for (const event of received) timesReceived.set(event.messageId, (timesReceived.get(event.messageId) ?? 0) + 1);
    const states = await readKeys(ls.redis, workloadKeys);
    const figures = {
      seed,
      seconds: { http: http.seconds, inProcess: local.seconds },
      planned: workload.planned,
      concurrentWebhooks: sent.filter((s) => s.concurrent).length,
      concurrentCopiesAcrossRoutes: [...workload.jobs.http, ...workload.jobs.inProcess].filter(
        (job) => new Set(job.map((w) => w.route)).size > 1,
      ).length,
      answers,
      ctlive: { received: received.length, refused: stack.sink.refused.length, distinctMessageIds: timesReceived.size },
    };
    process.stdout.write(`exactly once: ${JSON.stringify(figures)}\n`);

    // The load was what the issue asks for.
    expect(workload.planned.resultsSent).toBeGreaterThanOrEqual(10_000);
    expect(workload.planned.httpResults).toBeGreaterThanOrEqual(1_000);
    expect(workload.planned.duplicatesSent / workload.planned.resultsSent).toBeCloseTo(DUPLICATE_SHARE, 2);
    expect(workload.planned.concurrentDuplicates).toBeGreaterThan(0);
    expect(workload.planned.batchedWebhooks).toBeGreaterThan(0);
    // The faults happened: one forward in twenty was refused, and Infobip had to retry.
    expect(stack.sink.refused.length).toBe(Math.floor((received.length + stack.sink.refused.length) / FAIL_EVERY));
    expect(stack.sink.refused.length).toBeGreaterThan(0);
    expect(answers.retries).toBeGreaterThan(0);
    expect(answers.duplicatesSuppressed).toBeGreaterThan(0);

    // Every webhook got its 2xx in the end.
    expect(sent.filter((s) => !s.delivery.delivered).slice(0, 5)).toEqual([]);
    // Nothing lost, nothing twice, nothing else: each messageId once, as Infobip sent it.
    const notOnce = [...workload.results.keys()].filter((id) => timesReceived.get(id) !== 1);
    expect(notOnce.slice(0, 20).map((id) => `${id} received ${timesReceived.get(id) ?? 0} times`)).toEqual([]);
    expect(received.length).toBe(UNIQUE_RESULTS);
    for (const event of received) {
      expect({ event: event.event, raw: event.raw }).toEqual({ event: 'message', raw: workload.results.get(event.messageId) });
    }
    // What the service said it forwarded is what ctlive got.
    expect(answers.reportedForwarded).toBe(UNIQUE_RESULTS);
    // Redis: every result marked done (a leftover claim would block a later copy for a minute).
    expect(workloadKeys.filter((_, i) => states[i] !== 'done').slice(0, 20)).toEqual([]);
    // The in-process containers said nothing went wrong but the refused forwards and the
    // copies that came in while their original was being forwarded.
    const expectedProblem =
      /failed, claim released|being forwarded by another request|Request failed with 503 (CTLIVE_UNAVAILABLE|FORWARD_IN_PROGRESS)/;
    expect(inProcess.problems.filter((p) => !expectedProblem.test(p.message)).slice(0, 5)).toEqual([]);

    // Only a green run's figures reach the results file docs/reliability.md quotes.
    await recordResults('exactlyOnce', figures);
  }, 300_000);

  it(`batches of ${BATCH_SIZE}: each result once and each conversation in order, with duplicates, copies at once and failing forwards`, async () => {
    const { stack } = ls;
    const batchRun = `${runId}B`;
    const batches = Array.from({ length: BATCHES }, (_, b) =>
      Array.from({ length: DISTINCT_PER_BATCH }, (_, i) => {
        const messageId = `${batchRun}${b}X${i}`;
        const from = `3977${b}${String(i % CUSTOMERS_PER_BATCH).padStart(4, '0')}`;
        const [result] = inboundMessagePayload({ messageId, from, text: `batch ${b}, message ${i}` }).results;
        return result as { messageId: string; from: string };
      }),
    );
    const all = batches.flat();
    const batchKeys = all.map((r) => redisKeys.webhookEvent('message', r.messageId));
    keys.push(...batchKeys);
    const bodyOf = (results: unknown[]) => JSON.stringify({ results, messageCount: results.length, pendingMessageCount: 0 });
    const headers = { 'content-type': 'application/json', ...webhookAuthHeaders(webhookAuthOf(stack.env)) };
    const overHttp: PostWebhook = async (body) => {
      const res = await fetch(`${stack.apiUrl}/onMessage`, {
        method: 'POST',
        headers,
        body,
        signal: AbortSignal.timeout(HTTP_TIMEOUT_MS),
      });
      return { status: res.status, body: await res.text() };
    };
    const inProcess = inProcessOnMessage(stack, 2);
    const random = seeded(seed + 1);
    stack.sink.reset();
    stack.sink.failEvery(FAIL_EVERY, 500);

    const started = performance.now();
    // Every batch posted twice at the same moment, once over HTTP (serverless-offline) and
    // once in process, each copy retried the way Infobip retries until it gets its 2xx.
    const deliveries = await Promise.all(
      batches.flatMap((batch) => {
        const body = bodyOf([...batch, ...batch.slice(0, REPEATS_IN_BODY)]);
        return [overHttp, inProcess.post].map((post) => deliverLikeInfobip(post, body, BATCH_RETRY, random));
      }),
    );
    const resend = await deliverLikeInfobip(inProcess.post, bodyOf((batches[0] ?? []).slice(0, RESENT)), BATCH_RETRY, random);
    const seconds = Math.round((performance.now() - started) / 100) / 10;
    stack.sink.failEvery(0);

    const received = (stack.sink.received as CtliveEvent[]).filter((e) => e.messageId.startsWith(batchRun));
    const timesReceived = new Map<string, number>();
    for (const event of received) timesReceived.set(event.messageId, (timesReceived.get(event.messageId) ?? 0) + 1);
    const perCustomer = (events: Array<{ messageId: string; from?: string }>) => {
      const out = new Map<string, string[]>();
      for (const e of events) out.set(String(e.from), [...(out.get(String(e.from)) ?? []), e.messageId]);
      return out;
    };
    const expectedOrder = perCustomer(all);
    const receivedOrder = perCustomer(received);
    const outOfOrder = [...expectedOrder].filter(([from, ids]) => (receivedOrder.get(from) ?? []).join(' ') !== ids.join(' '));
    const attempts = deliveries.flatMap((d) => d.attempts);
    const figures = {
      seed,
      seconds,
      batches: BATCHES,
      resultsPerBatch: BATCH_SIZE,
      conversations: BATCHES * CUSTOMERS_PER_BATCH,
      webhooks: deliveries.length + 1,
      attempts: attempts.length + resend.attempts.length,
      mostAttemptsForOneWebhook: Math.max(...deliveries.map((d) => d.attempts.length)),
      ctlive: { received: received.length, refused: stack.sink.refused.length, distinctMessageIds: timesReceived.size },
      outOfOrderConversations: outOfOrder.length,
    };
    process.stdout.write(`exactly once, batches of ${BATCH_SIZE}: ${JSON.stringify(figures)}\n`);

    // The faults happened: ctlive refused forwards, and copies had to be retried.
    expect(stack.sink.refused.length).toBeGreaterThan(0);
    expect(attempts.length).toBeGreaterThan(deliveries.length);
    // Every copy got its 2xx in the end; the late re-send was all duplicates.
    expect(deliveries.filter((d) => !d.delivered)).toEqual([]);
    expect(resend.delivered).toBe(true);
    expect(resend.attempts.at(-1)).toEqual(expect.objectContaining({ status: 200, forwarded: 0, duplicates: RESENT }));
    // 0 lost, 0 duplicated, nothing else.
    const notOnce = all.filter((r) => timesReceived.get(r.messageId) !== 1);
    expect(notOnce.slice(0, 20).map((r) => `${r.messageId} received ${timesReceived.get(r.messageId) ?? 0} times`)).toEqual([]);
    expect(received).toHaveLength(BATCHES * DISTINCT_PER_BATCH);
    // Each conversation reached ctlive in the order Infobip sent it.
    expect(
      outOfOrder
        .slice(0, 5)
        .map(([from, ids]) => ({ from, sent: ids.slice(0, 5), received: receivedOrder.get(from)?.slice(0, 5) })),
    ).toEqual([]);
    // Redis: every result marked done.
    const states = await readKeys(ls.redis, batchKeys);
    expect(batchKeys.filter((_, i) => states[i] !== 'done').slice(0, 20)).toEqual([]);
    const expectedProblem =
      /failed, claim released|being forwarded by another request|Request failed with 503 (CTLIVE_UNAVAILABLE|FORWARD_IN_PROGRESS)/;
    expect(inProcess.problems.filter((p) => !expectedProblem.test(p.message)).slice(0, 5)).toEqual([]);

    await recordResults('exactlyOnceBatches', figures);
  }, 300_000);
});
