/**
 * Idempotent sends on a real Redis (through the Upstash REST proxy and the real client) and
 * the Infobip sandbox over real HTTP: a retry never puts a second message at the sandbox,
 * a replay costs one Redis request and no Infobip call, and an unknown outcome is resolved
 * by a delivery report (left by the real webhook) or by Infobip's message logs.
 */
import { randomUUID } from 'node:crypto';
import IORedis from 'ioredis';
import { createDedupe } from '../../lib/inbound/dedupe';
import { makeOnDeliveryReportHandler } from '../../lib/inbound/webhook';
import { createIdempotencyStore, messageIdFor } from '../../lib/outbound/idempotency';
import { createInfobipClient } from '../../lib/outbound/infobip';
import { makeSendMessageHandler } from '../../lib/messages/text';
import { createLogger } from '../../lib/platform/log';
import { accountKeys, createRedis } from '../../lib/platform/redis';
import { startInfobipSandbox, type InfobipSandbox } from '../../tools/infobipSandbox';
import { startUpstashProxy, type UpstashProxy } from '../../tools/upstashProxy';
import { fakeForwarder } from '../support/inboundFakes';
import { apiEvent, captureLines, lambdaContext } from '../support/lambda';

const REDIS_URL = process.env.REDIS_URL ?? 'redis://127.0.0.1:6379';
const PROXY_TOKEN = `proxy-${randomUUID()}`;
const TOKEN = 'ctlive-integration-token';
const API_KEY = 'sandbox-integration-key-0123456789';
const TIMEOUT_MS = 300;

let proxy: UpstashProxy;
let sandbox: InfobipSandbox;
let direct: IORedis;
const { lines, sink } = captureLines();

beforeAll(async () => {
  proxy = await startUpstashProxy({ redisUrl: REDIS_URL, token: PROXY_TOKEN });
  sandbox = await startInfobipSandbox({ apiKey: API_KEY, deliveryReports: false, fetchMedia: false });
  direct = new IORedis(REDIS_URL);
});
afterAll(async () => {
  const keys = [...(await direct.keys('IMChannel:Idempotency:*')), ...(await direct.keys('IMChannel:Reported:imc-*'))];
  if (keys.length > 0) await direct.del(...keys);
  direct.disconnect();
  await sandbox.close();
  await proxy.close();
});
beforeEach(() => {
  sandbox.reset();
  lines.length = 0;
});

const redis = () => createRedis({ url: proxy.url, token: PROXY_TOKEN });

function sender(lookupGraceSeconds = 600) {
  const config = { ttlSeconds: 3600, lookupGraceSeconds };
  const handler = makeSendMessageHandler({
    idempotency: { store: createIdempotencyStore(redis(), config), config },
    log: createLogger('sendMessage', { format: 'text', level: 'INFO', sink }),
    infobip: createInfobipClient({ timeoutMs: TIMEOUT_MS }),
    infobipConfig: {
      defaults: { baseUrl: sandbox.url, apiKey: API_KEY, scenarioKey: 'SCENARIO' },
      allowedHosts: ['127.0.0.1'],
      timeoutMs: TIMEOUT_MS,
    },
    ctliveApiToken: TOKEN,
  });
  return async (body: unknown, key: string) => {
    const res = await handler(
      apiEvent({ body, headers: { authorization: `Bearer ${TOKEN}`, 'idempotency-key': key } }),
      lambdaContext('sendMessage'),
    );
    return { status: res.statusCode, headers: res.headers ?? {}, body: JSON.parse(String(res.body)) };
  };
}

const omniCalls = () => sandbox.received.filter((r) => r.path === '/omni/1/advanced').length;
const logLookups = () => sandbox.received.filter((r) => r.path.startsWith('/omni/1/logs')).length;
const text = (t: string) => ({ to: '39123456789', text: t });

describe('idempotent sendMessage on a real Redis and the sandbox', () => {
  it('a replay costs one Redis request and no Infobip call', async () => {
    const send = sender();
    const key = `k-${randomUUID()}`;
    const first = await send(text('hello'), key);
    proxy.resetCounts();

    const again = await send(text('hello'), key);

    expect(again).toMatchObject({ status: 200, body: first.body, headers: { 'idempotent-replayed': 'true' } });
    expect(omniCalls()).toBe(1);
    expect(proxy.counts().requests).toBe(1);
  });

  it('ten concurrent copies of one request put one message at the sandbox', async () => {
    const send = sender();
    const key = `k-${randomUUID()}`;

    const answers = await Promise.all(Array.from({ length: 10 }, () => send(text('once'), key)));

    expect(omniCalls()).toBe(1);
    expect(sandbox.accepted).toHaveLength(1);
    expect(answers.filter((a) => a.status === 200 && a.headers['idempotent-replayed'] === undefined)).toHaveLength(1);
    for (const a of answers) expect([200, 409]).toContain(a.status);
  });

  it("Infobip took it but answered too late: the retry finds it in Infobip's logs, and sends nothing", async () => {
    const send = sender();
    const key = `k-${randomUUID()}`;
    sandbox.failNext({ delayMs: TIMEOUT_MS * 5, acceptFirst: true });

    const first = await send(text('slow'), key);
    const retry = await send(text('slow'), key);

    expect(first.status).toBe(504);
    expect(retry).toMatchObject({ status: 200, headers: { 'idempotent-replayed': 'true' } });
    expect(retry.body.messageId).toBe(messageIdFor(key));
    expect(sandbox.accepted.map((m) => m.messageId)).toEqual([messageIdFor(key)]);
    expect(logLookups()).toBe(1);
  });

  it('a delivery report through the real webhook settles an unknown outcome without asking Infobip', async () => {
    const send = sender();
    const key = `k-${randomUUID()}`;
    sandbox.failNext({ delayMs: TIMEOUT_MS * 5, acceptFirst: true });
    expect((await send(text('reported'), key)).status).toBe(504);

    const onDeliveryReport = makeOnDeliveryReportHandler({
      log: createLogger('onDeliveryReport', { format: 'text', level: 'INFO', sink }),
      auth: {},
      dedupe: createDedupe(redis()),
      forwarder: fakeForwarder(),
    });
    const status = { groupId: 3, groupName: 'DELIVERED', id: 5, name: 'DELIVERED_TO_HANDSET', description: 'delivered' };
    const report = {
      results: [{ messageId: messageIdFor(key), to: '39123456789', status, doneAt: '2026-12-02T10:00:01.000+0000' }],
    };
    const posted = await onDeliveryReport(apiEvent({ body: report }), lambdaContext('onDeliveryReport'));
    expect(posted.statusCode).toBe(200);

    const retry = await send(text('reported'), key);

    expect(retry).toMatchObject({ status: 200, body: { messageId: messageIdFor(key), status } });
    expect(logLookups()).toBe(0);
    expect(omniCalls()).toBe(1);
  });

  it("a report of another Infobip account for the same messageId settles nothing: the own account's report does", async () => {
    const send = sender();
    const key = `k-${randomUUID()}`;
    sandbox.failNext({ delayMs: TIMEOUT_MS * 5 });
    expect((await send(text('two accounts'), key)).status).toBe(504);
    const other = 'yyyy.api.infobip.com';
    const onDeliveryReport = makeOnDeliveryReportHandler({
      log: createLogger('onDeliveryReport', { format: 'text', level: 'INFO', sink }),
      auth: {},
      dedupe: createDedupe(redis()),
      forwarder: fakeForwarder(),
      accounts: { defaultAccount: new URL(sandbox.url).host, allowedHosts: ['*.api.infobip.com', '127.0.0.1'] },
    });
    const messageId = messageIdFor(key);
    const report = { results: [{ messageId, to: '39123456789', status: { groupName: 'DELIVERED' }, doneAt: 'now' }] };
    const post = async (query?: Record<string, string>) =>
      (await onDeliveryReport(apiEvent({ body: report, query }), lambdaContext('onDeliveryReport'))).statusCode;

    expect(await post({ account: other })).toBe(200);
    const unsettled = await send(text('two accounts'), key);
    expect(await post()).toBe(200);
    const settled = await send(text('two accounts'), key);

    expect(await direct.get(accountKeys(other).reported(messageId))).toContain('DELIVERED');
    expect(unsettled).toMatchObject({ status: 409, body: { error: { code: 'OUTCOME_UNKNOWN' } } });
    expect(settled).toMatchObject({ status: 200, body: { messageId, status: { groupName: 'DELIVERED' } } });
    expect(omniCalls()).toBe(1);
    await direct.del(accountKeys(other).reported(messageId), accountKeys(other).webhookEvent('delivery', messageId));
  });

  it("a call that never reached Infobip's logs is answered 409 until the grace period is over, then sent once", async () => {
    const key = `k-${randomUUID()}`;
    sandbox.failNext({ delayMs: TIMEOUT_MS * 5 }); // not taken: the sandbox drops it when the caller gives up
    expect((await sender()(text('lost'), key)).status).toBe(504);

    const early = await sender()(text('lost'), key);
    expect(early).toMatchObject({ status: 409, body: { error: { code: 'OUTCOME_UNKNOWN' } }, headers: { 'retry-after': '60' } });

    const late = await sender(0.001)(text('lost'), key); // a grace period already over
    expect(late.status).toBe(200);
    expect(sandbox.accepted.map((m) => m.messageId)).toEqual([messageIdFor(key)]);
  });
  it("a 500 in Infobip's own error shape is a refusal: the key is released and a retry sends", async () => {
    const send = sender();
    const key = `k-${randomUUID()}`;
    sandbox.failNext({ status: 500 });

    const first = await send(text('refused'), key);
    const retry = await send(text('refused'), key);

    expect(first).toMatchObject({ status: 502, body: { error: { code: 'INFOBIP_ERROR', retryable: true } } });
    expect(retry.status).toBe(200);
    expect(retry.headers['idempotent-replayed']).toBeUndefined();
    expect(logLookups()).toBe(0);
    expect(sandbox.accepted.map((m) => m.messageId)).toEqual([messageIdFor(key)]);
  });

  it("a gateway's 502 page is an unknown outcome: the retry asks Infobip's logs before sending anything", async () => {
    const send = sender();
    const key = `k-${randomUUID()}`;
    sandbox.failNext({ status: 502, body: '<html><body>502 Bad Gateway</body></html>' });

    expect((await send(text('gateway'), key)).status).toBe(502);
    const retry = await send(text('gateway'), key);

    // Not in the logs and the grace period not over: not sent again yet.
    expect(retry).toMatchObject({ status: 409, body: { error: { code: 'OUTCOME_UNKNOWN' } } });
    expect(logLookups()).toBe(1);
    expect(omniCalls()).toBe(1);
  });
});
