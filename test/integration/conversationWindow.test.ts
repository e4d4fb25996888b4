/**
 * The 24-hour window on a real Redis (through the Upstash REST proxy and the real client)
 * and the Infobip sandbox over real HTTP: onMessage records the customer's last message in
 * the round trips it already makes, older copies never move it back, and the sends read it
 * without a round trip of their own wherever one is already made. Under enforce a closed
 * window is refused before the sandbox hears of it; a template goes out.
 */
import { randomUUID } from 'node:crypto';
import IORedis from 'ioredis';
import { LAST_MESSAGE_MEMBER, WINDOW_MS } from '../../lib/conversation/window';
import { createDedupe } from '../../lib/inbound/dedupe';
import { makeOnMessageHandler } from '../../lib/inbound/webhook';
import { MEDIA_KINDS } from '../../lib/media/kinds';
import { makeSendMediaHandler } from '../../lib/media/send';
import { createMediaStore } from '../../lib/media/store';
import { createIdempotencyStore } from '../../lib/outbound/idempotency';
import { createInfobipClient } from '../../lib/outbound/infobip';
import { sendOnce, sendToInfobip, sentBody, type OutboundDeps } from '../../lib/outbound/send';
import { omniText } from '../../lib/outbound/transports/omni';
import { makeSendMessageHandler } from '../../lib/messages/text';
import { createConversationReader } from '../../lib/outbound/windowGuard';
import type { WindowPolicy } from '../../lib/platform/config';
import { httpStack, jsonResponse } from '../../lib/platform/http';
import { createLogger } from '../../lib/platform/log';
import { createRedis, redisKeys } from '../../lib/platform/redis';
import { inboundMessagePayload, startInfobipSandbox, type InfobipSandbox } from '../../tools/infobipSandbox';
import { startUpstashProxy, type UpstashProxy } from '../../tools/upstashProxy';
import { BASIC, PASSWORD, fakeForwarder } from '../support/inboundFakes';
import { apiEvent, captureLines, lambdaContext } from '../support/lambda';
import { sampleFile } from '../support/sampleFile';

const REDIS_URL = process.env.REDIS_URL ?? 'redis://127.0.0.1:6379';
const PROXY_TOKEN = `proxy-${randomUUID()}`;
const TOKEN = 'ctlive-integration-token';
const API_KEY = 'sandbox-integration-key-0123456789';
const BUSINESS = '44123456789';
const TIMEOUT_MS = 2_000;

let proxy: UpstashProxy;
let sandbox: InfobipSandbox;
let direct: IORedis;
const used = new Set<string>();
const { lines, sink } = captureLines();

beforeAll(async () => {
  proxy = await startUpstashProxy({ redisUrl: REDIS_URL, token: PROXY_TOKEN });
  sandbox = await startInfobipSandbox({ apiKey: API_KEY, deliveryReports: false, fetchMedia: false });
  direct = new IORedis(REDIS_URL);
});
afterAll(async () => {
  const keys = [...used, ...(await direct.keys('IMChannel:Idempotency:*'))];
  if (keys.length > 0) await direct.del(...keys);
  direct.disconnect();
  await sandbox.close();
  await proxy.close();
});
beforeEach(() => {
  sandbox.reset();
  lines.length = 0;
});

/** A customer of their own per test: the Redis server is shared with other tests and runs. */
function newCustomer() {
  const number = `39${Math.floor(1e9 + Math.random() * 9e9)}`;
  const key = redisKeys.conversation(BUSINESS, number);
  used.add(key);
  return { number, key };
}

const redis = () => createRedis({ url: proxy.url, token: PROXY_TOKEN });
const redisRequests = async <T>(run: () => Promise<T>): Promise<{ result: T; requests: number }> => {
  proxy.resetCounts();
  const result = await run();
  return { result, requests: proxy.counts().requests };
};
const infobipTime = (ms: number) => new Date(ms).toISOString().replace('Z', '+0000');
const omniCalls = () => sandbox.received.filter((r) => r.path === '/omni/1/advanced');

function onMessage() {
  const handler = makeOnMessageHandler({
    log: createLogger('onMessage', { format: 'text', level: 'INFO', sink, secrets: [PASSWORD] }),
    auth: { basic: { username: 'infobip', password: PASSWORD } },
    dedupe: createDedupe(redis()),
    forwarder: fakeForwarder(),
  });
  return async (body: unknown) => {
    const res = await handler(apiEvent({ body, headers: BASIC }), lambdaContext('onMessage'));
    return { status: res.statusCode, body: JSON.parse(String(res.body)) };
  };
}

const customerWrote = (from: string, receivedAt: number) =>
  inboundMessagePayload({ from, to: BUSINESS, text: 'Hello', extra: { receivedAt: infobipTime(receivedAt) } });

describe('onMessage records the window in the round trips it already makes', () => {
  it("a message: two round trips as before, the score is Infobip's receivedAt, kept for 30 days", async () => {
    const { number, key } = newCustomer();
    const at = Date.UTC(2025, 1, 27, 15, 44, 57, 123);
    const post = onMessage();

    const { result, requests } = await redisRequests(() => post(customerWrote(number, at)));

    expect(result).toEqual({ status: 200, body: { forwarded: 1, duplicates: 0 } });
    expect(requests).toBe(2); // the claim pipeline and the done marks: nothing more for the window
    expect(Number(await direct.zscore(key, LAST_MESSAGE_MEMBER))).toBe(at);
    expect(await direct.zcard(key)).toBe(1);
    const ttl = await direct.ttl(key);
    expect(ttl).toBeGreaterThan(30 * 24 * 3600 - 60);
    expect(ttl).toBeLessThanOrEqual(30 * 24 * 3600);
  });

  it('ten messages of ten customers in one webhook still cost two round trips', async () => {
    const customers = Array.from({ length: 10 }, newCustomer);
    const at = Date.UTC(2025, 1, 27, 15);
    const body = { results: customers.flatMap((c) => customerWrote(c.number, at).results) };

    const { requests } = await redisRequests(() => onMessage()(body));

    expect(requests).toBe(2);
    for (const { key } of customers) expect(Number(await direct.zscore(key, LAST_MESSAGE_MEMBER))).toBe(at);
  });

  it('an older message arriving late never moves the time back; a newer one moves it forward', async () => {
    const { number, key } = newCustomer();
    const post = onMessage();
    const first = Date.UTC(2025, 1, 27, 15);

    await post(customerWrote(number, first));
    await post(customerWrote(number, first - 3 * 3600_000)); // a retried, older message
    expect(Number(await direct.zscore(key, LAST_MESSAGE_MEMBER))).toBe(first);

    await post(customerWrote(number, first + 60_000));
    expect(Number(await direct.zscore(key, LAST_MESSAGE_MEMBER))).toBe(first + 60_000);
  });
});

function sendDeps(policy: WindowPolicy): OutboundDeps {
  const client = redis();
  const config = { ttlSeconds: 3600, lookupGraceSeconds: 600 };
  return {
    idempotency: { store: createIdempotencyStore(client, config), config },
    conversationWindow: { policy, read: createConversationReader(client) },
    log: createLogger('sendMessage', { format: 'text', level: 'INFO', sink }),
    infobip: createInfobipClient({ timeoutMs: TIMEOUT_MS }),
    infobipConfig: {
      defaults: { baseUrl: sandbox.url, apiKey: API_KEY, scenarioKey: 'SCENARIO', sender: BUSINESS },
      allowedHosts: ['127.0.0.1'],
      timeoutMs: TIMEOUT_MS,
    },
  };
}

function textSender(policy: WindowPolicy) {
  const handler = makeSendMessageHandler({ ...sendDeps(policy), ctliveApiToken: TOKEN });
  return async (to: string, headers: Record<string, string> = {}) => {
    const res = await handler(
      apiEvent({ body: { to, text: 'Hello' }, headers: { authorization: `Bearer ${TOKEN}`, ...headers } }),
      lambdaContext('sendMessage'),
    );
    return { status: res.statusCode, body: JSON.parse(String(res.body)) };
  };
}

const PNG = sampleFile('image/png', 300).toString('base64');
function imageSender(policy: WindowPolicy) {
  const deps = sendDeps(policy);
  const handler = makeSendMediaHandler(MEDIA_KINDS.image, {
    ...deps,
    publicUrl: 'http://127.0.0.1:3999/imchannel',
    ctliveApiToken: TOKEN,
    store: createMediaStore(redis(), deps.log),
    media: { ttlSeconds: 600, fetchTtlSeconds: 60, maxBytes: 1024 * 1024 },
  });
  return async (to: string, headers: Record<string, string> = {}) => {
    const res = await handler(
      apiEvent({
        body: { to, fileName: 'a.png', contentType: 'image/png', content: PNG },
        headers: { authorization: `Bearer ${TOKEN}`, ...headers },
      }),
      lambdaContext('sendWhatsAppImageMessage'),
    );
    used.add(redisKeys.media(String(JSON.parse(String(res.body)).mediaId)));
    return { status: res.statusCode, body: JSON.parse(String(res.body)) };
  };
}

describe('the sends read the window without a round trip of their own where they can', () => {
  const recent = () => Date.now() - 3600_000;

  it.each([
    ['sendMessage with an Idempotency-Key', textSender, true],
    ['an image with an Idempotency-Key', imageSender, true],
    ['an image without a key (read in the park pipeline)', imageSender, false],
  ] as const)('%s: as many Redis round trips under warn as under off', async (_name, make, keyed) => {
    const { number, key } = newCustomer();
    await direct.zadd(key, recent(), LAST_MESSAGE_MEMBER);
    const headers = (): Record<string, string> => (keyed ? { 'idempotency-key': `k-${randomUUID()}` } : {});

    const off = await redisRequests(() => make('off')(number, headers()));
    const warn = await redisRequests(() => make('warn')(number, headers()));

    expect(off.result.status).toBe(200);
    expect(warn.result.status).toBe(200);
    expect(warn.requests).toBe(off.requests);
    expect(off.result.body).not.toHaveProperty('conversationWindow');
    expect(warn.result.body.conversationWindow).toEqual({ open: true, closesAt: expect.any(String) });
  });

  it('sendMessage without a key has no Redis call to fold into: one ZSCORE of its own', async () => {
    const { number, key } = newCustomer();
    await direct.zadd(key, recent(), LAST_MESSAGE_MEMBER);

    const off = await redisRequests(() => textSender('off')(number));
    const warn = await redisRequests(() => textSender('warn')(number));

    expect(off.requests).toBe(0);
    expect(warn.requests).toBe(1);
    expect(warn.result.body.conversationWindow.open).toBe(true);
  });
});

describe('CONVERSATION_WINDOW_POLICY=enforce on the sandbox', () => {
  it('a text to a closed window is refused and never reaches the sandbox; the key is released', async () => {
    const { number } = newCustomer();
    const wrote = Date.now() - WINDOW_MS - 3600_000;
    await onMessage()(customerWrote(number, wrote));
    const idempotencyKey = `k-${randomUUID()}`;

    const res = await textSender('enforce')(number, { 'idempotency-key': idempotencyKey });

    expect(res.status).toBe(422);
    expect(res.body.error).toMatchObject({
      code: 'CONVERSATION_WINDOW_CLOSED',
      retryable: false,
      conversationWindow: { open: false, closedAt: new Date(wrote + WINDOW_MS).toISOString() },
    });
    expect(omniCalls()).toHaveLength(0);
    // Released: once the customer writes again, the same key sends.
    await onMessage()(customerWrote(number, Date.now() - 60_000));
    const again = await textSender('enforce')(number, { 'idempotency-key': idempotencyKey });
    expect(again.status).toBe(200);
    expect(omniCalls()).toHaveLength(1);
  });

  it('an image to a closed window parks no file and calls nobody', async () => {
    const { number, key } = newCustomer();
    await direct.zadd(key, Date.now() - 2 * WINDOW_MS, LAST_MESSAGE_MEMBER);

    const { result: res } = await redisRequests(() => imageSender('enforce')(number));

    expect(res.status).toBe(422);
    expect(res.body.error.code).toBe('CONVERSATION_WINDOW_CLOSED');
    expect(omniCalls()).toHaveLength(0);
    // The window's ZSCORE, and no SET: the file was never parked.
    expect(proxy.counts().commands).toBe(1);
  });

  it("a send flagged messageType 'template' to the same closed window goes out", async () => {
    const { number, key } = newCustomer();
    await direct.zadd(key, Date.now() - 2 * WINDOW_MS, LAST_MESSAGE_MEMBER);
    const deps = sendDeps('enforce');
    // The send path a template route takes (its OMNI body is the template route's own).
    const handler = httpStack({ log: deps.log, json: true }, async (event) => {
      const body = { to: number };
      return sendOnce(
        deps,
        event,
        body,
        async ({ messageId }) =>
          jsonResponse(200, sentBody(await sendToInfobip(deps, { ...body, messageId }, { kind: 'text', text: 'x' }, omniText))),
        { messageType: 'template' },
      );
    });

    const res = await handler(apiEvent({ body: { to: number } }), lambdaContext('sendMessage'));

    expect(res.statusCode).toBe(200);
    expect(omniCalls()).toHaveLength(1);
    expect(JSON.parse(String(res.body)).conversationWindow.open).toBe(false);
  });
});
