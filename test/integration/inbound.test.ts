/**
 * The webhooks over real HTTP, with de-duplication on a real Redis (through the Upstash
 * REST proxy and the real @upstash/redis client) and a real HTTP ctlive sink. Every
 * messageId is random: the Redis server is shared with other tests and runs.
 */
import { randomUUID } from 'node:crypto';
import { createServer as createHttpServer } from 'node:http';
import { createServer } from 'node:net';
import IORedis from 'ioredis';
import { createDedupe } from '../../lib/inbound/dedupe';
import { createForwarder } from '../../lib/inbound/forwarder';
import { createLogger } from '../../lib/platform/log';
import { createRedis, redisKeys } from '../../lib/platform/redis';
import { makeOnDeliveryReportHandler, makeOnMessageHandler, type WebhookDeps } from '../../lib/inbound/webhook';
import { startCtliveSink, type CtliveSink } from '../../tools/ctliveSink';
import { inboundMessagePayload, postWebhook, seenReportPayload } from '../../tools/infobipSandbox';
import { startUpstashProxy, type UpstashProxy } from '../../tools/upstashProxy';
import { captureLines } from '../support/lambda';
import { startLambdaHttp, type LambdaHttp } from '../support/lambdaHttp';

const REDIS_URL = process.env.REDIS_URL ?? 'redis://127.0.0.1:6379';
const PROXY_TOKEN = `proxy-${randomUUID()}`;
const TARGET_TOKEN = `ctlive-target-${randomUUID()}`;
const AUTH = { basic: { username: 'infobip', password: `pw-${randomUUID()}` } };
const FORWARD_TIMEOUT_MS = 300;

let proxy: UpstashProxy;
let sink: CtliveSink;
let direct: IORedis;
const servers: LambdaHttp[] = [];
const usedKeys = new Set<string>();

const newId = () => `wamid.TEST${randomUUID().replace(/-/g, '').toUpperCase()}`;
const key = (kind: string, id: string) => {
  const k = redisKeys.webhookEvent(kind, id);
  usedKeys.add(k);
  return k;
};

async function closedPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  await new Promise((resolve) => server.close(resolve));
  return port;
}

/** The two webhooks behind real HTTP, wired as in production but for Redis and ctlive's addresses. */
async function startWebhooks(redis: { url: string; token: string } = { url: proxy.url, token: PROXY_TOKEN }) {
  const { lines, sink: logSink } = captureLines();
  const deps = (tag: string): WebhookDeps => ({
    log: createLogger(tag, { format: 'text', level: 'INFO', sink: logSink }),
    auth: AUTH,
    dedupe: createDedupe(createRedis(redis)),
    forwarder: createForwarder({ kind: 'http', url: sink.url, token: TARGET_TOKEN, timeoutMs: FORWARD_TIMEOUT_MS }),
  });
  const http = await startLambdaHttp([
    { methods: ['POST'], path: '/imchannel/onMessage', handler: makeOnMessageHandler(deps('onMessage')) },
    { methods: ['POST'], path: '/imchannel/onDeliveryReport', handler: makeOnDeliveryReportHandler(deps('onDeliveryReport')) },
  ]);
  servers.push(http);
  const post = async (route: string, body: unknown, auth = AUTH) => {
    const res = await postWebhook(`${http.url}/imchannel/${route}`, body, auth);
    return { status: res.status, body: JSON.parse(res.body) as Record<string, unknown> };
  };
  return { lines, post };
}

const receivedIds = () => sink.received.map((e) => (e as { messageId: string }).messageId);

function batch(...ids: string[]) {
  return { results: ids.flatMap((id) => inboundMessagePayload({ messageId: id, text: `text of ${id}` }).results) };
}

beforeAll(async () => {
  proxy = await startUpstashProxy({ redisUrl: REDIS_URL, token: PROXY_TOKEN });
  sink = await startCtliveSink({ token: TARGET_TOKEN, log: () => undefined });
  direct = new IORedis(REDIS_URL);
});

beforeEach(() => sink.reset());

afterAll(async () => {
  if (usedKeys.size > 0) await direct.del(...usedKeys);
  direct.disconnect();
  await Promise.all(servers.map((s) => s.close()));
  await sink.close();
  await proxy.close();
});

/** An HTTP relay in front of the Upstash proxy that counts the requests, i.e. Redis round trips. */
async function countingRelay(target: string) {
  const relay = { url: '', requests: 0, close: async () => undefined as void };
  const server = createHttpServer(async (req, res) => {
    relay.requests += 1;
    const chunks: Buffer[] = [];
    for await (const chunk of req) chunks.push(chunk as Buffer);
    const upstream = await fetch(`${target}${req.url ?? '/'}`, {
      method: req.method,
      headers: Object.fromEntries(
        Object.entries(req.headers).filter((e): e is [string, string] => typeof e[1] === 'string' && e[0] !== 'host'),
      ),
      body: Buffer.concat(chunks),
    });
    res.writeHead(upstream.status, Object.fromEntries(upstream.headers)).end(Buffer.from(await upstream.arrayBuffer()));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  relay.url = `http://127.0.0.1:${(server.address() as { port: number }).port}`;
  relay.close = () => new Promise<void>((resolve) => server.close(() => resolve()));
  return relay;
}

describe('Redis round trips of a webhook (pipelined)', () => {
  it.each([1, 10])('%i result(s): one pipeline of claims, one of done marks', async (count) => {
    const relay = await countingRelay(proxy.url);
    try {
      const { post } = await startWebhooks({ url: relay.url, token: PROXY_TOKEN });
      const ids = Array.from({ length: count }, newId);
      ids.forEach((id) => key('message', id));

      const res = await post('onMessage', batch(...ids));

      expect(res).toEqual({ status: 200, body: { forwarded: count, duplicates: 0 } });
      expect(relay.requests).toBe(2);
      expect(await Promise.all(ids.map((id) => direct.get(key('message', id))))).toEqual(ids.map(() => 'done'));
    } finally {
      await relay.close();
    }
  });

  it('a failure half way releases every claim the retry needs, in the same second round trip', async () => {
    const relay = await countingRelay(proxy.url);
    try {
      const { post } = await startWebhooks({ url: relay.url, token: PROXY_TOKEN });
      const ids = Array.from({ length: 4 }, newId);
      ids.forEach((id) => key('message', id));
      sink.failNext({ status: 500, messageId: ids[1]! }); // the second forward fails

      const res = await post('onMessage', batch(...ids));

      expect(res.status).toBe(503);
      expect(relay.requests).toBe(2);
      expect(await direct.get(key('message', ids[0]!))).toBe('done');
      expect(await direct.exists(...ids.slice(1).map((id) => key('message', id)))).toBe(0);
    } finally {
      await relay.close();
    }
  });
});

describe('onMessage on real Redis and a real ctlive sink', () => {
  it('forwards a message to ctlive with its bearer token and marks it done for 24 h', async () => {
    const { post, lines } = await startWebhooks();
    const id = newId();
    const body = inboundMessagePayload({ messageId: id, text: 'Oh well', contactName: 'Username1' });

    const res = await post('onMessage', body);

    expect(res).toEqual({ status: 200, body: { forwarded: 1, duplicates: 0 } });
    expect(sink.received).toEqual([
      expect.objectContaining({
        event: 'message',
        messageId: id,
        text: 'Oh well',
        contactName: 'Username1',
        raw: body.results[0],
      }),
    ]);
    expect(lines[0]).toBe(`[IMCHANNEL] [onMessage] Message received ${JSON.stringify(body)}`);
    expect(await direct.get(key('message', id))).toBe('done');
    const ttl = await direct.ttl(key('message', id));
    expect(ttl).toBeGreaterThan(86_000);
    expect(ttl).toBeLessThanOrEqual(86_400);
  });

  it('a tapped button, list row or template quick reply reaches ctlive with the id it was given, next to its text and replyTo', async () => {
    const { post } = await startWebhooks();
    const ids = [newId(), newId(), newId()];
    ids.forEach((id) => key('message', id));
    const context = { from: '44123456789', id: 'out-1' };
    const body = {
      results: [
        { type: 'INTERACTIVE_BUTTON_REPLY', id: 'agent', title: 'Talk to an agent', context },
        { type: 'INTERACTIVE_LIST_REPLY', id: 'billing/2=+', title: 'Billing', description: 'Invoices and refunds', context },
        { type: 'BUTTON', text: 'Continue', payload: 'CONTINUE_TICKET_42' },
      ].flatMap((message, i) => inboundMessagePayload({ messageId: ids[i], type: message.type, extra: { message } }).results),
    };

    const res = await post('onMessage', body);

    expect(res).toEqual({ status: 200, body: { forwarded: 3, duplicates: 0 } });
    const replyTo = { messageId: 'out-1', from: '44123456789' };
    expect(sink.received).toEqual([
      expect.objectContaining({ text: 'Talk to an agent', reply: { id: 'agent', title: 'Talk to an agent' }, replyTo }),
      expect.objectContaining({
        text: 'Billing',
        reply: { id: 'billing/2=+', title: 'Billing', description: 'Invoices and refunds' },
        replyTo,
      }),
      expect.objectContaining({ text: 'Continue', reply: { id: 'CONTINUE_TICKET_42', title: 'Continue' } }),
    ]);
  });

  it('the same webhook posted 50 times at once is forwarded once', async () => {
    const { post } = await startWebhooks();
    const id = newId();
    const body = batch(id);

    const answers = await Promise.all(Array.from({ length: 50 }, () => post('onMessage', body)));

    expect(receivedIds()).toEqual([id]);
    expect(answers.filter((a) => a.status === 200 && a.body.forwarded === 1)).toHaveLength(1);
    // The others saw it done (200 duplicate) or still being forwarded (503: Infobip retries).
    for (const a of answers.filter((x) => x.body.forwarded !== 1)) {
      expect([
        { status: 200, body: { forwarded: 0, duplicates: 1 } },
        { status: 503, body: { error: expect.objectContaining({ code: 'FORWARD_IN_PROGRESS' }) } },
      ]).toContainEqual(a);
    }
    // Infobip's retries of those 503s are duplicates now.
    expect(await post('onMessage', body)).toEqual({ status: 200, body: { forwarded: 0, duplicates: 1 } });
    expect(receivedIds()).toEqual([id]);
  });

  it('a failed forward (ctlive 503) gets 503 and releases the claim; the retry is forwarded once', async () => {
    const { post, lines } = await startWebhooks();
    const id = newId();
    sink.failNext({ status: 503 });

    const first = await post('onMessage', batch(id));

    expect(first.status).toBe(503);
    expect(first.body.error).toEqual(expect.objectContaining({ code: 'CTLIVE_UNAVAILABLE', notForwarded: [id] }));
    expect(sink.received).toEqual([]);
    expect(await direct.exists(key('message', id))).toBe(0);
    expect(lines).toContainEqual(
      expect.stringMatching(new RegExp(`failed, claim released \\(messageId \\[${id}\\]\\): .*ctlive answered 503`)),
    );

    expect(await post('onMessage', batch(id))).toEqual({ status: 200, body: { forwarded: 1, duplicates: 0 } });
    expect(await post('onMessage', batch(id))).toEqual({ status: 200, body: { forwarded: 0, duplicates: 1 } });
    expect(receivedIds()).toEqual([id]);
  });

  it('a ctlive slower than the timeout gets 503; the retry is forwarded once', async () => {
    const { post, lines } = await startWebhooks();
    const id = newId();
    sink.failNext({ delayMs: FORWARD_TIMEOUT_MS * 5 });

    const first = await post('onMessage', batch(id));

    expect(first.status).toBe(503);
    expect(lines).toContainEqual(
      expect.stringContaining(`(messageId [${id}]): ForwardError: ctlive did not answer within ${FORWARD_TIMEOUT_MS} ms`),
    );
    expect((await post('onMessage', batch(id))).body).toEqual({ forwarded: 1, duplicates: 0 });
    expect(receivedIds()).toEqual([id]);
  });

  it('a partly failed batch, then its retry, forwards each result once, in order', async () => {
    const { post } = await startWebhooks();
    const [a, b, c] = [newId(), newId(), newId()];
    sink.failNext({ messageId: b });

    const first = await post('onMessage', batch(a, b, c));

    expect(first.status).toBe(503);
    expect(first.body.error).toEqual(expect.objectContaining({ forwarded: 1, duplicates: 0, notForwarded: [b, c] }));
    expect(receivedIds()).toEqual([a]);
    expect(await direct.get(key('message', a))).toBe('done');
    expect(await direct.exists(key('message', b), key('message', c))).toBe(0);

    expect(await post('onMessage', batch(a, b, c))).toEqual({ status: 200, body: { forwarded: 2, duplicates: 1 } });
    expect(receivedIds()).toEqual([a, b, c]);
  });

  it('wrong webhook credentials: 401 and nothing forwarded or claimed', async () => {
    const { post } = await startWebhooks();
    const id = newId();

    const res = await post('onMessage', batch(id), { basic: { username: 'infobip', password: 'wrong' } });

    expect(res.status).toBe(401);
    expect(sink.received).toEqual([]);
    expect(await direct.exists(key('message', id))).toBe(0);
  });

  describe('Redis unreachable: 503, never forwarded without a claim', () => {
    it('the proxy answers but its Redis is down', async () => {
      const deadRedis = await startUpstashProxy({ redisUrl: `redis://127.0.0.1:${await closedPort()}`, token: PROXY_TOKEN });
      try {
        const { post, lines } = await startWebhooks({ url: deadRedis.url, token: PROXY_TOKEN });
        const id = newId();

        const res = await post('onMessage', batch(id));

        expect(res.status).toBe(503);
        expect(res.body.error).toEqual(expect.objectContaining({ code: 'REDIS_UNAVAILABLE', notForwarded: [id] }));
        expect(sink.received).toEqual([]);
        expect(lines).toContainEqual(
          expect.stringContaining(`Could not claim the message event in Redis, not forwarded (messageId [${id}])`),
        );
      } finally {
        await deadRedis.close();
      }
    });

    it('nothing listens where Redis should be', async () => {
      const { post } = await startWebhooks({ url: `http://127.0.0.1:${await closedPort()}`, token: PROXY_TOKEN });

      const res = await post('onMessage', batch(newId(), newId()));

      expect(res.status).toBe(503);
      expect(sink.received).toEqual([]);
    });
  });
});

describe('onDeliveryReport on real Redis and a real ctlive sink', () => {
  it('a delivery and a seen report of one message are two events, each forwarded once', async () => {
    const { post, lines } = await startWebhooks();
    const id = randomUUID();
    const delivery = {
      results: [{ messageId: id, to: '39123456789', status: { groupName: 'DELIVERED' }, doneAt: 'd', callbackData: 'cb' }],
    };
    const seen = seenReportPayload({ messageId: id });

    expect((await post('onDeliveryReport', delivery)).body).toEqual({ forwarded: 1, duplicates: 0 });
    expect((await post('onDeliveryReport', seen)).body).toEqual({ forwarded: 1, duplicates: 0 });
    expect((await post('onDeliveryReport', seen)).body).toEqual({ forwarded: 0, duplicates: 1 });

    expect(sink.received).toEqual([
      expect.objectContaining({ event: 'delivery', messageId: id, callbackData: 'cb' }),
      expect.objectContaining({ event: 'seen', messageId: id }),
    ]);
    expect(lines[0]).toBe(`[IMCHANNEL] [onDeliveryReport] Report received ${JSON.stringify(delivery)}`);
    expect(await direct.get(key('delivery', id))).toBe('done');
    expect(await direct.get(key('seen', id))).toBe('done');
  });
});

describe('bodies without a message to forward, on real Redis and a real ctlive sink', () => {
  it('an identity-change notification reaches ctlive once, whichever webhook and however often it comes', async () => {
    const { post } = await startWebhooks();
    const hash = randomUUID();
    const notification = {
      from: '41793026731',
      content: { description: 'Security code changed.', hash, type: 'user_identity_changed', userNumber: '385919998888' },
      createdAt: '2022-01-18T23:23:09.206+0000',
    };

    const answers = await Promise.all([
      ...Array.from({ length: 10 }, () => post('onMessage', notification)),
      ...Array.from({ length: 10 }, () => post('onDeliveryReport', notification)),
    ]);
    const retry = await post('onMessage', notification);

    expect(answers.filter((a) => a.status === 200 && a.body.forwarded === 1)).toHaveLength(1);
    expect(retry).toEqual({ status: 200, body: { forwarded: 0, duplicates: 1 } });
    expect(sink.received).toEqual([
      expect.objectContaining({ event: 'identityChanged', messageId: `385919998888:${hash}`, identityHash: hash }),
    ]);
    expect(await direct.get(key('identityChanged', `385919998888:${hash}`))).toBe('done');
  });

  it('a Messages API typing indicator is answered 200, never claimed nor forwarded', async () => {
    const { post, lines } = await startWebhooks();
    const id = newId();
    const typing = { results: [{ event: 'TYPING_STARTED', channel: 'WHATSAPP', sender: '48123234567', messageId: id }] };

    expect(await post('onMessage', typing)).toEqual({ status: 200, body: { forwarded: 0, duplicates: 0, ignored: 1 } });
    expect(sink.received).toEqual([]);
    expect(await direct.exists(key('message', id))).toBe(0);
    expect(lines).toContain(
      `[IMCHANNEL] [onMessage] TYPING_STARTED for messageId [${id}]: a typing indicator, not forwarded to ctlive`,
    );
  });
});
