import { createInfobipClient } from '../../lib/outbound/infobip';
import { IN_FLIGHT_MAX_MS, messageIdFor } from '../../lib/outbound/idempotency';
import { createLogger } from '../../lib/platform/log';
import { accountKeys } from '../../lib/platform/redis';
import { makeSendMessageHandler } from '../../lib/messages/text';
import { memoryIdempotency } from '../support/idempotencyFake';
import { apiEvent, captureLines, lambdaContext } from '../support/lambda';
import { bodyFor, setupSend } from '../support/mediaSendSetup';
import omniSendResponse from '../fixtures/infobip/infobip-omni-send.response.json';
import omniError from '../fixtures/infobip/infobip-omni-error.response.json';

const TOKEN = 'ctlive-token-0123456789';
const BASE_URL = 'https://xxxx.api.infobip.com';
/** The requests name their own base URL and the deployment has none: their account is not the default. */
const ACCOUNT = 'xxxx.api.infobip.com';
const body = {
  to: '39123456789',
  text: 'Your ticket is closed',
  infobip: { baseUrl: BASE_URL, apiKey: 'infobip-key-abcdef0123456789', scenarioKey: 'SCENARIO-1' },
};
const sentOk = () => new Response(JSON.stringify(omniSendResponse), { status: 200 });

type Answer = (url: string, init: RequestInit) => Response | Promise<Response>;

/** sendMessage over the in-memory store, Infobip answering sends with `send` and log queries with `logs`. */
function setup(send: Answer = sentOk, logs: Answer = () => new Response('{"results":[]}', { status: 200 })) {
  const sends: RequestInit[] = [];
  const lookups: string[] = [];
  const fakeFetch = (async (url: string, init: RequestInit) => {
    if (url.includes('/omni/1/logs')) {
      lookups.push(url);
      return logs(url, init);
    }
    sends.push(init);
    return send(url, init);
  }) as unknown as typeof fetch;
  let now = Date.parse('2026-12-02T10:00:00Z');
  const idempotency = memoryIdempotency();
  const { lines, sink } = captureLines();
  const handler = makeSendMessageHandler({
    idempotency: { ...idempotency, now: () => now },
    log: createLogger('sendMessage', { format: 'text', level: 'INFO', sink, secrets: [TOKEN] }),
    infobip: createInfobipClient({ timeoutMs: 100, fetch: fakeFetch }),
    infobipConfig: { defaults: {}, allowedHosts: ['*.api.infobip.com'], timeoutMs: 100 },
    ctliveApiToken: TOKEN,
  });
  const call = async (payload: unknown, headers: Record<string, string> = {}) => {
    const res = await handler(
      apiEvent({ body: payload, headers: { authorization: `Bearer ${TOKEN}`, ...headers } }),
      lambdaContext('sendMessage'),
    );
    return { status: res.statusCode, headers: res.headers ?? {}, body: JSON.parse(String(res.body)) };
  };
  const sentIds = () => sends.map((init) => JSON.parse(String(init.body)).destinations[0].messageId as string | undefined);
  return { call, sends, sentIds, lookups, lines, idempotency, advance: (ms: number) => (now += ms) };
}

/** Infobip never answering: only the client's own timeout ends the call. */
const never: Answer = (_url, init) =>
  new Promise<Response>((_resolve, reject) => init.signal?.addEventListener('abort', () => reject(init.signal?.reason)));

describe('idempotent sends: one message per Idempotency-Key', () => {
  it('replays the first answer to a retry with the same key and body: no second Infobip call', async () => {
    const t = setup();
    const first = await t.call(body, { 'idempotency-key': 'retry-1' });
    const again = await t.call(body, { 'idempotency-key': 'retry-1' });

    expect(first.status).toBe(200);
    expect(again).toMatchObject({ status: 200, body: first.body, headers: { 'idempotent-replayed': 'true' } });
    expect(first.headers).not.toHaveProperty('idempotent-replayed');
    expect(t.sends).toHaveLength(1);
  });

  it('takes the body messageId as the key when there is no header, and sends it', async () => {
    const t = setup();
    await t.call({ ...body, messageId: 'ctlive-42' });
    await t.call({ ...body, messageId: 'ctlive-42' });

    expect(t.sentIds()).toEqual(['ctlive-42']);
  });

  it('always sends a destination messageId under a key, the same one for every retry', async () => {
    const t = setup(() => Promise.reject(new TypeError('fetch failed', { cause: { code: 'ECONNREFUSED' } })));
    await t.call(body, { 'idempotency-key': 'k-gen' });
    await t.call(body, { 'idempotency-key': 'k-gen' });

    expect(t.sentIds()).toEqual([messageIdFor('k-gen'), messageIdFor('k-gen')]);
    expect(messageIdFor('k-gen')).toMatch(/^imc-[0-9a-f]{32}$/);
  });

  it('without a key sends as before: no messageId added, nothing claimed', async () => {
    const t = setup();
    await t.call(body);
    await t.call(body);

    expect(t.sentIds()).toEqual([undefined, undefined]);
    expect(t.idempotency.values.size).toBe(0);
  });

  it('refuses a key reused with another body: 422 IDEMPOTENCY_KEY_REUSED, nothing sent', async () => {
    const t = setup();
    await t.call(body, { 'idempotency-key': 'k-1' });
    const reused = await t.call({ ...body, text: 'Another text' }, { 'idempotency-key': 'k-1' });

    expect(reused.status).toBe(422);
    expect(reused.body.error).toMatchObject({ code: 'IDEMPOTENCY_KEY_REUSED', retryable: false });
    expect(t.sends).toHaveLength(1);
  });

  it('tells a retry that arrives while the first is still running 409 REQUEST_IN_PROGRESS, with Retry-After', async () => {
    let release: (r: Response) => void = () => undefined;
    const t = setup(() => new Promise<Response>((resolve) => (release = resolve)));
    const first = t.call(body, { 'idempotency-key': 'k-slow' });
    await new Promise((resolve) => setTimeout(resolve, 10));

    const second = await t.call(body, { 'idempotency-key': 'k-slow' });
    release(sentOk());

    expect(second.status).toBe(409);
    expect(second.body.error).toMatchObject({ code: 'REQUEST_IN_PROGRESS', retryable: true });
    expect(Number(second.headers['retry-after'])).toBeGreaterThanOrEqual(1);
    expect((await first).status).toBe(200);
    expect(t.sends).toHaveLength(1);
  });

  it.each([
    ['Infobip refused it (4xx)', () => new Response(JSON.stringify(omniError), { status: 400 })],
    ['Infobip could not be reached', () => Promise.reject(new TypeError('fetch failed', { cause: { code: 'ECONNREFUSED' } }))],
    ['Infobip throttled it', () => new Response('{}', { status: 429 })],
  ])('releases the key when nothing was sent (%s): the retry goes out', async (_name, refusal) => {
    let calls = 0;
    const t = setup(() => (++calls === 1 ? refusal() : sentOk()));
    const first = await t.call(body, { 'idempotency-key': 'k-refused' });
    const retry = await t.call(body, { 'idempotency-key': 'k-refused' });

    expect(first.status).toBeGreaterThanOrEqual(400);
    expect(retry.status).toBe(200);
    expect(t.sends).toHaveLength(2);
  });

  it('refuses a malformed Idempotency-Key with 400, saying what it must be', async () => {
    const t = setup();
    const res = await t.call(body, { 'idempotency-key': 'x'.repeat(256) });

    expect(res.status).toBe(400);
    expect(res.body.error).toMatchObject({ code: 'INVALID_IDEMPOTENCY_KEY', message: expect.stringContaining('1 to 255') });
    expect(t.sends).toEqual([]);
  });
});

describe('idempotent sends: an unknown outcome is resolved before anything is sent again', () => {
  const KEY = { 'idempotency-key': 'k-timeout' };

  it('a delivery report for the messageId proves it was sent: the retry is answered 200, nothing resent', async () => {
    const t = setup(never);
    expect((await t.call(body, KEY)).status).toBe(504);
    const messageId = messageIdFor('k-timeout');
    const status = { groupId: 3, groupName: 'DELIVERED', id: 5, name: 'DELIVERED_TO_HANDSET', description: 'delivered' };
    t.idempotency.reported.set(accountKeys(ACCOUNT).reported(messageId), JSON.stringify({ event: 'delivery', status }));

    const retry = await t.call(body, KEY);

    expect(retry).toMatchObject({ status: 200, headers: { 'idempotent-replayed': 'true' } });
    expect(retry.body).toEqual({ messageId, to: '39123456789', status, transport: 'omni' });
    expect(t.sends).toHaveLength(1);
    expect(t.lookups).toEqual([]); // the report settled it: Infobip is not even asked
    expect((await t.call(body, KEY)).body).toEqual(retry.body);
  });

  it.each([
    ["the deployment's own account", undefined],
    ['another account', 'yyyy.api.infobip.com'],
  ])(
    'a report of the same messageId in %s settles nothing: Infobip ids are unique only within an account',
    async (_name, other) => {
      const t = setup(never);
      await t.call(body, KEY);
      const mark = JSON.stringify({ event: 'delivery', status: { groupName: 'DELIVERED' } });
      t.idempotency.reported.set(accountKeys(other).reported(messageIdFor('k-timeout')), mark);

      const retry = await t.call(body, KEY);

      expect(retry.status).toBe(409);
      expect(retry.body.error.code).toBe('OUTCOME_UNKNOWN');
      expect(t.sends).toHaveLength(1);
    },
  );

  it("Infobip's logs having the message settle it the same way", async () => {
    const status = { groupId: 1, groupName: 'PENDING', id: 7, name: 'PENDING_ENROUTE', description: 'enroute' };
    const t = setup(never, (url) => {
      const messageId = new URL(url).searchParams.get('messageId');
      return new Response(JSON.stringify({ results: [{ messageId, status }] }), { status: 200 });
    });
    await t.call(body, KEY);

    const retry = await t.call(body, KEY);

    expect(retry.status).toBe(200);
    expect(retry.body.status).toEqual(status);
    expect(t.lookups).toEqual([`${BASE_URL}/omni/1/logs?messageId=${messageIdFor('k-timeout')}`]);
    expect(t.sends).toHaveLength(1);
  });

  it('while Infobip does not have it yet: 409 OUTCOME_UNKNOWN with Retry-After, never a second message', async () => {
    const t = setup(never);
    await t.call(body, KEY);

    const retry = await t.call(body, KEY);

    expect(retry.status).toBe(409);
    expect(retry.body.error).toMatchObject({ code: 'OUTCOME_UNKNOWN', retryable: true, messageId: messageIdFor('k-timeout') });
    expect(retry.headers['retry-after']).toBe('60');
    expect(t.sends).toHaveLength(1);
  });

  it('once Infobip has lacked it for the whole grace period, it is sent again, once, with the same messageId', async () => {
    let calls = 0;
    const t = setup((url, init) => (++calls === 1 ? never(url, init) : sentOk()));
    await t.call(body, KEY);
    t.advance(600_000);

    const retry = await t.call(body, KEY);
    const replay = await t.call(body, KEY);

    expect(retry.status).toBe(200);
    expect(replay).toMatchObject({ status: 200, headers: { 'idempotent-replayed': 'true' } });
    expect(t.sentIds()).toEqual([messageIdFor('k-timeout'), messageIdFor('k-timeout')]);
    expect(t.lines.join('\n')).toContain('never reached Infobip: sending it again with the same messageId');
  });

  it('Redis failing when the resend would take the key over: 503 REDIS_UNAVAILABLE, retryable, nothing sent', async () => {
    let calls = 0;
    const t = setup((url, init) => (++calls === 1 ? never(url, init) : sentOk()));
    await t.call(body, KEY);
    t.advance(600_000);
    const replace = t.idempotency.store.replace;
    t.idempotency.store.replace = () => Promise.reject(new Error('connection reset'));

    const retry = await t.call(body, KEY);
    t.idempotency.store.replace = replace;

    expect(retry).toMatchObject({ status: 503, body: { error: { code: 'REDIS_UNAVAILABLE', retryable: true } } });
    expect(t.sends).toHaveLength(1);
    expect((await t.call(body, KEY)).status).toBe(200);
    expect(t.sends).toHaveLength(2);
  });

  it('a claim left by a function that died counts as unknown once it is older than any function may run', async () => {
    const t = setup();
    const messageId = messageIdFor('k-died');
    const orphan = { state: 'inFlight', digest: 'x', messageId, owner: 'dead', startedAt: Date.parse('2026-12-02T10:00:00Z') };
    // The digest of the real body: take it from a claim the store records.
    await t.call(body, { 'idempotency-key': 'k-probe' });
    const probe = JSON.parse([...t.idempotency.values.values()][0] as string) as { digest: string };
    const [probeKey] = [...t.idempotency.values.keys()];
    t.idempotency.values.delete(probeKey as string);
    t.idempotency.values.set('k-died', JSON.stringify({ ...orphan, digest: probe.digest }));

    expect((await t.call(body, { 'idempotency-key': 'k-died' })).status).toBe(409);
    t.advance(IN_FLIGHT_MAX_MS);
    const later = await t.call(body, { 'idempotency-key': 'k-died' });

    expect(later.body.error).toMatchObject({ code: 'OUTCOME_UNKNOWN' });
    expect(t.sends).toHaveLength(1); // only the probe
  });
});

describe('idempotent media sends', () => {
  it('a replay parks no second file and answers with the first mediaId', async () => {
    const t = setupSend('image');
    const first = await t.send(bodyFor('image', { messageId: 'media-1' }));
    const again = await t.send(bodyFor('image', { messageId: 'media-1' }));

    expect(first.status).toBe(200);
    expect(again.body).toEqual(first.body);
    expect(t.values.size).toBe(1);
    expect(t.infobipCalls).toHaveLength(1);
  });
});
