/**
 * The location and contact-card sends wired as in production, on a real Redis (through the
 * Upstash REST proxy and the real client, for the Idempotency-Key) and the Infobip sandbox
 * over real HTTP: the sandbox, as strict as Infobip's documentation, takes the exact OMNI
 * body; a retry puts no second message there; Infobip's failures map as for sendMessage.
 */
import { createHash, randomUUID } from 'node:crypto';
import IORedis from 'ioredis';
import { createIdempotencyStore } from '../../lib/outbound/idempotency';
import { createInfobipClient } from '../../lib/outbound/infobip';
import type { SendMessageDeps } from '../../lib/messages/text';
import { CONTACT_TAG, makeSendContactHandler } from '../../lib/messages/contact';
import { LOCATION_TAG, makeSendLocationHandler } from '../../lib/messages/location';
import { createLogger } from '../../lib/platform/log';
import { createRedis, redisKeys } from '../../lib/platform/redis';
import { startInfobipSandbox, type InfobipSandbox } from '../../tools/infobipSandbox';
import { startUpstashProxy, type UpstashProxy } from '../../tools/upstashProxy';
import { apiEvent, captureLines, lambdaContext } from '../support/lambda';

const REDIS_URL = process.env.REDIS_URL ?? 'redis://127.0.0.1:6379';
const PROXY_TOKEN = `proxy-${randomUUID()}`;
const TOKEN = 'ctlive-integration-token';
const API_KEY = 'sandbox-integration-key-0123456789';
const TIMEOUT_MS = 300;
const NOTIFY_URL = (messageId: string) => `https://imchannel.example/imchannel/onDeliveryReport?for=${messageId}`;

let proxy: UpstashProxy;
let sandbox: InfobipSandbox;
let direct: IORedis;
const keys: string[] = [];
/** Where the store keeps a key's claim (lib/outbound/idempotency.ts): its SHA-256. */
const claimOf = (key: string) => redisKeys.idempotency(createHash('sha256').update(key).digest('hex'));
const { lines, sink } = captureLines();

beforeAll(async () => {
  proxy = await startUpstashProxy({ redisUrl: REDIS_URL, token: PROXY_TOKEN });
  sandbox = await startInfobipSandbox({ apiKey: API_KEY, deliveryReports: false, fetchMedia: false });
  direct = new IORedis(REDIS_URL);
});
afterAll(async () => {
  if (keys.length > 0) await direct.del(...keys.map(claimOf));
  direct.disconnect();
  await sandbox.close();
  await proxy.close();
});
beforeEach(() => {
  sandbox.reset();
  lines.length = 0;
});

function sender(tag: string, make: (deps: SendMessageDeps) => ReturnType<typeof makeSendLocationHandler>) {
  const config = { ttlSeconds: 600, lookupGraceSeconds: 600 };
  const handler = make({
    idempotency: { store: createIdempotencyStore(createRedis({ url: proxy.url, token: PROXY_TOKEN }), config), config },
    log: createLogger(tag, { format: 'text', level: 'INFO', sink }),
    infobip: createInfobipClient({ timeoutMs: TIMEOUT_MS }),
    infobipConfig: {
      defaults: { baseUrl: sandbox.url, apiKey: API_KEY, scenarioKey: 'SCENARIO' },
      allowedHosts: ['127.0.0.1'],
      timeoutMs: TIMEOUT_MS,
    },
    notifyUrl: NOTIFY_URL,
    ctliveApiToken: TOKEN,
  });
  return async (body: unknown, key?: string) => {
    const headers: Record<string, string> = { authorization: `Bearer ${TOKEN}` };
    if (key !== undefined) {
      keys.push(key);
      headers['idempotency-key'] = key;
    }
    const res = await handler(apiEvent({ body, headers }), lambdaContext(tag));
    return { status: res.statusCode, headers: res.headers ?? {}, body: JSON.parse(String(res.body)) };
  };
}

const omniCalls = () => sandbox.received.filter((r) => r.path === '/omni/1/advanced');

describe('sendWhatsAppLocationMessage on a real Redis and the sandbox', () => {
  const send = () => sender(LOCATION_TAG, makeSendLocationHandler);

  it('is taken by the sandbox as the OMNI location Infobip documents, and answers with its messageId', async () => {
    const res = await send()({
      to: '39123456789',
      latitude: 45.4641943,
      longitude: 9.1896346,
      name: 'Duomo di Milano',
      address: 'Piazza del Duomo, Milano',
      messageId: `loc-${randomUUID()}`,
      callbackData: 'ticket-4711',
    });

    expect(res.status).toBe(200);
    expect(sandbox.accepted.map((m) => m.messageId)).toEqual([res.body.messageId]);
    expect(omniCalls()[0]?.body).toEqual({
      scenarioKey: 'SCENARIO',
      destinations: [{ to: { phoneNumber: '39123456789' }, messageId: res.body.messageId }],
      whatsApp: {
        latitude: 45.4641943,
        longitude: 9.1896346,
        locationName: 'Duomo di Milano',
        address: 'Piazza del Duomo, Milano',
      },
      callbackData: 'ticket-4711',
      notifyUrl: NOTIFY_URL(String(res.body.messageId)),
    });
    expect(lines.filter((line) => line.startsWith('[IMCHANNEL] [sendWhatsAppLocationMessage] '))).toHaveLength(2);
  });

  it('sends a retry under the same Idempotency-Key once: the second answer is replayed from Redis', async () => {
    const post = send();
    const key = `rich-loc-${randomUUID()}`;
    const body = { to: '39123456789', latitude: -33.8567844, longitude: 151.213108 };

    const first = await post(body, key);
    const again = await post(body, key);

    expect(first.status).toBe(200);
    expect(again).toMatchObject({ status: 200, body: first.body, headers: { 'idempotent-replayed': 'true' } });
    expect(omniCalls()).toHaveLength(1);
    expect(await direct.exists(claimOf(key))).toBe(1);
  });

  it('maps a slow Infobip to 504 and a 500 to 502, with its tag on the failure line', async () => {
    sandbox.failNext({ delayMs: 1_000 });
    const slow = await send()({ to: '39123456789', latitude: 1, longitude: 2 });
    sandbox.failNext({ status: 500 });
    const failed = await send()({ to: '39123456789', latitude: 1, longitude: 2 });

    expect(slow.body.error.code).toBe('INFOBIP_TIMEOUT');
    expect(slow.status).toBe(504);
    expect(failed).toMatchObject({
      status: 502,
      body: { error: { code: 'INFOBIP_ERROR', upstreamStatus: 500, retryable: true } },
    });
    expect(lines.at(-1)).toMatch(/^\[IMCHANNEL\] \[sendWhatsAppLocationMessage\] Request failed with 502 INFOBIP_ERROR/);
  });
});

describe('sendWhatsAppContactMessage on a real Redis and the sandbox', () => {
  const card = {
    name: { firstName: 'Mario', lastName: 'Rossi', formattedName: 'Mario Rossi' },
    phones: [
      { phone: '+39 02 1234 5678', type: 'WORK' },
      { waId: '393331234567', type: 'CELL' },
    ],
    emails: [{ email: 'mario.rossi@example.com', type: 'WORK' }],
    addresses: [{ street: 'Via Roma 1', city: 'Milano', zip: '20121', countryCode: 'IT', type: 'WORK' }],
    org: { company: 'Example S.p.A.', title: 'Team lead' },
    urls: [{ url: 'https://www.example.com', type: 'WORK' }],
    birthday: '1980-05-17',
  };

  it('is taken by the sandbox as OMNI contacts[], every field as sent', async () => {
    const res = await sender(CONTACT_TAG, makeSendContactHandler)({ to: 'US.13491208655302741918', contacts: [card] });

    expect(res.status).toBe(200);
    expect(res.body.to).toBe('US.13491208655302741918');
    expect(omniCalls()[0]?.body).toEqual({
      scenarioKey: 'SCENARIO',
      // The notifyUrl's token is bound to a messageId, so IMChannel chose one.
      destinations: [{ to: { whatsAppUserId: 'US.13491208655302741918' }, messageId: res.body.messageId }],
      whatsApp: { contacts: [card] },
      notifyUrl: NOTIFY_URL(String(res.body.messageId)),
    });
    expect(sandbox.accepted).toHaveLength(1);
  });

  it('refuses a bad card with 400 before anything reaches Redis or the sandbox', async () => {
    const key = `rich-card-${randomUUID()}`;
    const res = await sender(CONTACT_TAG, makeSendContactHandler)(
      { to: '39123456789', contacts: [{ name: { firstName: 'M' } }] },
      key,
    );

    expect(res.status).toBe(400);
    expect(res.body.error.details).toEqual([
      { path: 'contacts.0.name.formattedName', message: 'required, a string: the full name as it should appear' },
    ]);
    expect(omniCalls()).toHaveLength(0);
    expect(await direct.exists(claimOf(key))).toBe(0);
  });
});
