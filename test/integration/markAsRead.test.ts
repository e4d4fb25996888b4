/**
 * markAsRead on the real pieces: its read marks in a real Redis through the Upstash REST
 * proxy and the real client, and real HTTP to the Infobip sandbox, which takes a mark only
 * for a message its business number received. Marking twice costs Infobip one call, a mark
 * Infobip refused is forgotten, and the mark lives as long as READ_MARK_SECONDS says.
 */
import { randomUUID } from 'node:crypto';
import IORedis from 'ioredis';
import { createInfobipClient } from '../../lib/outbound/infobip';
import { createLogger } from '../../lib/platform/log';
import { createRedis, redisKeys } from '../../lib/platform/redis';
import { READ_MARK_SECONDS, createReadMarks, makeMarkAsReadHandler } from '../../lib/signals/markAsRead';
import { startUpstashProxy, type UpstashProxy } from '../../tools/upstashProxy';
import { startInfobipSandbox, type InfobipSandbox } from '../../tools/infobipSandbox';
import { apiEvent, captureLines, lambdaContext } from '../support/lambda';
import { SENDER } from '../support/whatsAppSandbox';

const REDIS_URL = process.env.REDIS_URL ?? 'redis://127.0.0.1:6379';
const PROXY_TOKEN = `proxy-${randomUUID()}`;
const API_KEY = `key-${randomUUID()}`;
const TOKEN = 'ctlive-token-0123456789';

let proxy: UpstashProxy;
let sandbox: InfobipSandbox;
let direct: IORedis;
const used: string[] = [];

beforeAll(async () => {
  proxy = await startUpstashProxy({ redisUrl: REDIS_URL, token: PROXY_TOKEN });
  sandbox = await startInfobipSandbox({ apiKey: API_KEY });
  direct = new IORedis(REDIS_URL);
});

afterAll(async () => {
  if (used.length > 0) await direct.del(...used);
  direct.disconnect();
  await sandbox.close();
  await proxy.close();
});

beforeEach(() => sandbox.reset());

function handler() {
  const { lines, sink } = captureLines();
  const handle = makeMarkAsReadHandler({
    log: createLogger('markAsRead', { format: 'text', level: 'INFO', sink, secrets: [API_KEY, TOKEN] }),
    infobip: createInfobipClient({ timeoutMs: 5_000 }),
    infobipConfig: {
      defaults: { baseUrl: sandbox.url, apiKey: API_KEY, sender: SENDER },
      allowedHosts: ['127.0.0.1'],
      timeoutMs: 5_000,
    },
    marks: createReadMarks(createRedis({ url: proxy.url, token: PROXY_TOKEN })),
    ctliveApiToken: TOKEN,
  });
  const mark = async (messageId: string) => {
    const res = await handle(
      apiEvent({ body: { messageId }, headers: { authorization: `Bearer ${TOKEN}` } }),
      lambdaContext('markAsRead'),
    );
    last = res.headers ?? {};
    return { status: res.statusCode, body: JSON.parse(String(res.body)) as Record<string, unknown> };
  };
  let last: Record<string, unknown> = {};
  return { lines, mark, headers: () => last };
}

const inboundId = () => {
  const id = `wamid.HBgL+${randomUUID().replace(/-/g, '')}/x==`;
  used.push(redisKeys.readMark(SENDER, id));
  return id;
};

describe('markAsRead against the sandbox, its marks in Redis', () => {
  it('marks once at Infobip, at the percent-encoded path, and answers a second call from Redis', async () => {
    const id = inboundId();
    sandbox.rememberInbound(id);
    const t = handler();

    const first = await t.mark(id);
    const again = await t.mark(id);

    expect(first).toEqual({ status: 200, body: { messageId: id, read: true, alreadyMarked: false } });
    expect(again).toEqual({ status: 200, body: { messageId: id, read: true, alreadyMarked: true } });
    expect(sandbox.marksAsRead.map((m) => m.messageId)).toEqual([id]);
    expect(sandbox.received.map((r) => r.path)).toEqual([`/whatsapp/1/senders/${SENDER}/message/${encodeURIComponent(id)}/read`]);
    const ttl = await direct.ttl(redisKeys.readMark(SENDER, id));
    expect(ttl).toBeGreaterThan(READ_MARK_SECONDS - 60);
    expect(ttl).toBeLessThanOrEqual(READ_MARK_SECONDS);
  });

  it("a message Infobip does not know is a 502 with Infobip's reason, and no mark is left, so the next call asks again", async () => {
    const id = inboundId();
    const t = handler();

    const refused = await t.mark(id);
    sandbox.rememberInbound(id);
    const retried = await t.mark(id);

    expect(refused.status).toBe(502);
    expect(JSON.stringify(refused.body)).toContain('was not received by sender');
    expect(retried.body).toMatchObject({ alreadyMarked: false });
    expect(sandbox.marksAsRead.map((m) => m.messageId)).toEqual([id]);
  });

  it("Infobip's 429 is a 429 with Retry-After, and the mark is forgotten", async () => {
    const id = inboundId();
    sandbox.rememberInbound(id);
    sandbox.failNext({ status: 429 });
    const t = handler();

    const limited = await t.mark(id);

    expect(limited.status).toBe(429);
    expect(Number(t.headers()['retry-after'])).toBeGreaterThan(0);
    expect(await direct.exists(redisKeys.readMark(SENDER, id))).toBe(0);
  });
});
