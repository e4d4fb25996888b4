/**
 * Webhooks at Infobip's largest batch (2,000 results, `maxBucketSize`) over real HTTP, with
 * de-duplication on a real Redis through the Upstash REST proxy (which enforces Upstash's
 * 10 MB request limit) and a real HTTP ctlive sink: two Redis round trips whatever the
 * size, each conversation in order at ctlive, and forwards over reused connections.
 */
import { randomUUID } from 'node:crypto';
import IORedis from 'ioredis';
import { createDedupe } from '../../lib/inbound/dedupe';
import { createForwarder } from '../../lib/inbound/forwarder';
import { createLogger } from '../../lib/platform/log';
import { createRedis, redisKeys } from '../../lib/platform/redis';
import {
  makeOnDeliveryReportHandler,
  makeOnMessageHandler,
  WEBHOOK_MAX_RESULTS,
  type WebhookDeps,
} from '../../lib/inbound/webhook';
import { startCtliveSink, type CtliveSink } from '../../tools/ctliveSink';
import { inboundMessagePayload, postWebhook } from '../../tools/infobipSandbox';
import { startUpstashProxy, type UpstashProxy } from '../../tools/upstashProxy';
import { captureLines } from '../support/lambda';
import { startLambdaHttp, type LambdaHttp } from '../support/lambdaHttp';

const REDIS_URL = process.env.REDIS_URL ?? 'redis://127.0.0.1:6379';
const PROXY_TOKEN = `proxy-${randomUUID()}`;
const TARGET_TOKEN = `ctlive-target-${randomUUID()}`;
const AUTH = { basic: { username: 'infobip', password: `pw-${randomUUID()}` } };
const CONCURRENCY = 8;

let proxy: UpstashProxy;
let sink: CtliveSink;
let direct: IORedis;
let http: LambdaHttp;
const usedKeys = new Set<string>();

const runId = randomUUID().replace(/-/g, '').slice(0, 12).toUpperCase();

beforeAll(async () => {
  proxy = await startUpstashProxy({ redisUrl: REDIS_URL, token: PROXY_TOKEN });
  sink = await startCtliveSink({ token: TARGET_TOKEN, log: () => undefined });
  direct = new IORedis(REDIS_URL);
  const { sink: logSink } = captureLines();
  const deps = (tag: string): WebhookDeps => ({
    log: createLogger(tag, { format: 'json', level: 'WARN', sink: logSink }),
    auth: AUTH,
    dedupe: createDedupe(createRedis({ url: proxy.url, token: PROXY_TOKEN })),
    forwarder: createForwarder({ kind: 'http', url: sink.url, token: TARGET_TOKEN, timeoutMs: 5_000 }),
    concurrency: CONCURRENCY,
  });
  http = await startLambdaHttp([
    { methods: ['POST'], path: '/imchannel/onMessage', handler: makeOnMessageHandler(deps('onMessage')) },
    { methods: ['POST'], path: '/imchannel/onDeliveryReport', handler: makeOnDeliveryReportHandler(deps('onDeliveryReport')) },
  ]);
});

afterAll(async () => {
  if (usedKeys.size > 0) await direct.del(...usedKeys);
  direct.disconnect();
  await http.close();
  await sink.close();
  await proxy.close();
});

beforeEach(() => {
  sink.reset();
  sink.setLatency(0);
});

const post = async (route: string, body: unknown) => {
  const res = await postWebhook(`${http.url}/imchannel/${route}`, body, AUTH);
  return { status: res.status, body: JSON.parse(res.body) as Record<string, unknown> };
};

/** 2,000 messages from `customers` customers, interleaved, each with the text of its place. */
function messages(prefix: string, count: number, customers: number) {
  return Array.from({ length: count }, (_, i) => {
    const messageId = `wamid.BATCH${runId}${prefix}${i}`;
    usedKeys.add(redisKeys.webhookEvent('message', messageId));
    const [result] = inboundMessagePayload({ messageId, text: `text ${i}` }).results as Array<Record<string, unknown>>;
    const from = `3911${String(i % customers).padStart(6, '0')}`;
    usedKeys.add(redisKeys.conversation(String(result?.to), from));
    return { ...result, messageId, from };
  });
}

const perCustomer = (events: Array<{ from?: string; messageId: string }>) => {
  const out = new Map<string, string[]>();
  for (const e of events) out.set(String(e.from), [...(out.get(String(e.from)) ?? []), e.messageId]);
  return out;
};

describe('a webhook of 2,000 results on real Redis and HTTP', () => {
  it('two Redis round trips (one pipeline each), every result once, each conversation in order', async () => {
    sink.setLatency(2); // ctlive takes a little while, so forwards overlap
    const results = messages('A', WEBHOOK_MAX_RESULTS, 100);

    proxy.resetCounts();
    const res = await post('onMessage', { results, messageCount: results.length, pendingMessageCount: 0 });

    expect(res).toEqual({ status: 200, body: { forwarded: WEBHOOK_MAX_RESULTS, duplicates: 0 } });
    expect(proxy.counts()).toEqual({
      requests: 2,
      // SET NX + GET per result, ZADD GT + EXPIRE per conversation (the 24-hour window,
      // 100 customers), then SET done per result.
      commands: 3 * WEBHOOK_MAX_RESULTS + 2 * 100,
      byRoute: { '/pipeline': { requests: 2, commands: 3 * WEBHOOK_MAX_RESULTS + 2 * 100 } },
    });
    const received = sink.received as Array<{ from?: string; messageId: string }>;
    expect(received).toHaveLength(WEBHOOK_MAX_RESULTS);
    expect(perCustomer(received)).toEqual(perCustomer(results));
    const states = await direct.mget(...results.map((r) => redisKeys.webhookEvent('message', r.messageId)));
    expect(states.filter((s) => s !== 'done')).toEqual([]);

    // Infobip's retry of the same batch: two round trips again, nothing forwarded twice.
    proxy.resetCounts();
    expect((await post('onMessage', { results })).body).toEqual({ forwarded: 0, duplicates: WEBHOOK_MAX_RESULTS });
    expect(proxy.counts().requests).toBe(1); // all duplicates: nothing to settle
    expect(sink.received).toHaveLength(WEBHOOK_MAX_RESULTS);
  });

  it("the worst a body can hold stays within Upstash's 10 MB request: 2,000 reports with outsized ids and statuses", async () => {
    // Ids far beyond Infobip's, and a status of 1.4 KB of quotes (each escaped twice on the way to Redis).
    const results = Array.from({ length: WEBHOOK_MAX_RESULTS }, (_, i) => {
      const messageId = `${runId}-${i}-${'i'.repeat(1_000)}`;
      usedKeys.add(redisKeys.webhookEvent('delivery', messageId));
      usedKeys.add(redisKeys.reported(messageId));
      return { messageId, to: '39123456789', status: { groupName: 'DELIVERED', description: '"'.repeat(700) }, doneAt: 'd' };
    });
    expect(Buffer.byteLength(JSON.stringify({ results }))).toBeGreaterThan(4_500_000);

    proxy.resetCounts();
    const res = await post('onDeliveryReport', { results });

    expect(res).toEqual({ status: 200, body: { forwarded: WEBHOOK_MAX_RESULTS, duplicates: 0 } });
    expect(proxy.counts().requests).toBe(2);
    // Each report still leaves its mark, which an idempotent send reads.
    const marks = await direct.mget(...results.slice(0, 3).map((r) => redisKeys.reported(r.messageId)));
    expect(marks).toEqual(results.slice(0, 3).map(() => '{"event":"delivery"}'));
  });

  it('forwards reuse connections: 400 events over a small multiple of the pool, not one each', async () => {
    sink.setLatency(1);
    const before = sink.connections();

    const res = await post('onMessage', { results: messages('K', 400, 40) });

    expect(res.status).toBe(200);
    expect(sink.received).toHaveLength(400);
    // fetch's pool opens an extra connection when a forward starts in the instant before a
    // finished one hands its socket back (docs/performance.md, "Webhook batches"): a few
    // more than the pool, never one per event.
    expect(sink.connections() - before).toBeLessThanOrEqual(2 * CONCURRENCY);
  });
});
