/**
 * The 24-hour window without Redis: the clock is Infobip's receivedAt, the record only
 * moves forward, and CONVERSATION_WINDOW_POLICY (warn, enforce, off) decides what a
 * free-form send to a closed window does, while a template always goes out. The same on a
 * real Redis and the sandbox: test/integration/conversationWindow.test.ts.
 */
import { conversationKey, conversationTouches, parseReceivedAt, windowState, WINDOW_MS } from '../../lib/conversation/window';
import { createInfobipClient } from '../../lib/outbound/infobip';
import { makeSendMessageHandler } from '../../lib/messages/text';
import { sendOnce, sendToInfobip, sentBody, type OutboundDeps } from '../../lib/outbound/send';
import { omniText } from '../../lib/outbound/transports/omni';
import type { ConversationWindowDeps } from '../../lib/outbound/windowGuard';
import { readConversationWindowPolicy, readConversationRecordTtl, type WindowPolicy } from '../../lib/platform/config';
import { jsonResponse, type HttpEvent } from '../../lib/platform/http';
import { createLogger } from '../../lib/platform/log';
import { memoryIdempotency } from '../support/idempotencyFake';
import { apiEvent, captureLines, lambdaContext } from '../support/lambda';
import omniSendResponse from '../fixtures/infobip/infobip-omni-send.response.json';

describe('the clock of a window: Infobip receivedAt', () => {
  it("reads Infobip's yyyy-MM-dd'T'HH:mm:ss.SSSZ, with any offset", () => {
    expect(parseReceivedAt('2025-02-27T15:44:57.000+0000')).toBe(Date.UTC(2025, 1, 27, 15, 44, 57));
    expect(parseReceivedAt('2025-02-27T17:44:57.250+0200')).toBe(Date.UTC(2025, 1, 27, 15, 44, 57, 250));
    expect(parseReceivedAt('2025-02-27T10:14:57.000-05:30')).toBe(Date.UTC(2025, 1, 27, 15, 44, 57));
    expect(parseReceivedAt('2025-02-27T15:44:57Z')).toBe(Date.UTC(2025, 1, 27, 15, 44, 57));
  });

  it.each([
    '',
    'yesterday',
    '2025-02-31T10:00:00.000+0000',
    '2025-13-01T10:00:00.000+0000',
    '1740671097000',
    '2025-02-27 15:44:57',
  ])('is no time for %j', (value) => {
    expect(parseReceivedAt(value)).toBeUndefined();
  });
});

describe('which inbound results record a window', () => {
  const message = (from: string, receivedAt: string, to = '44123456789') => ({ event: 'message', from, to, receivedAt });

  it('customer messages only, keyed by business number and customer, the latest of a body per conversation', () => {
    const touches = conversationTouches([
      message('39123456789', '2025-02-27T15:00:00.000+0000'),
      message('39123456789', '2025-02-27T16:00:00.000+0000'),
      message('39123456789', '2025-02-27T14:00:00.000+0000'),
      message('+39111111111', '2025-02-27T15:00:00.000+0000'),
      { event: 'delivery', to: '39123456789', receivedAt: '2025-02-28T00:00:00.000+0000' },
      { event: 'seen', from: '39123456789', to: '44123456789', receivedAt: '2025-02-28T00:00:00.000+0000' },
      { event: 'identityChanged', from: '39123456789', to: '44123456789', receivedAt: '2025-02-28T00:00:00.000+0000' },
      message('39123456789', 'not a time'),
      { event: 'message', from: '39123456789', receivedAt: '2025-02-28T00:00:00.000+0000' },
    ]);
    expect(touches).toEqual([
      { key: 'IMChannel:Conversation:44123456789:39123456789', at: Date.UTC(2025, 1, 27, 16) },
      { key: 'IMChannel:Conversation:44123456789:39111111111', at: Date.UTC(2025, 1, 27, 15) },
    ]);
  });

  it('a send and a webhook name the same conversation however the numbers are written', () => {
    expect(conversationKey('+44123456789', '0039123456789')).toBe(conversationKey('44123456789', '39123456789'));
    expect(conversationKey('44123456789', 'US.13491208655302741918')).toBe(
      'IMChannel:Conversation:44123456789:US.13491208655302741918',
    );
    expect(conversationKey(undefined, '39123456789')).toBeUndefined();
    expect(conversationKey('44123456789', 'IMChannel:*')).toBeUndefined();
  });
});

describe('the window state', () => {
  const last = Date.UTC(2025, 1, 27, 15, 44, 57);
  it('is open for 24 hours after the last message, then closed at that moment', () => {
    expect(windowState(String(last), last + WINDOW_MS - 1)).toEqual({
      open: true,
      closesAt: '2025-02-28T15:44:57.000Z',
    });
    expect(windowState(last, last + WINDOW_MS)).toEqual({ open: false, closedAt: '2025-02-28T15:44:57.000Z' });
  });
  it('is unknown, never closed, without a record', () => {
    expect(windowState(null, last)).toEqual({ open: null, reason: 'NO_RECORD' });
    expect(windowState({ unknown: 'NO_SENDER' }, last)).toEqual({ open: null, reason: 'NO_SENDER' });
  });
});

describe('CONVERSATION_WINDOW_POLICY and CONVERSATION_RECORD_TTL_SECONDS', () => {
  it('default to warn and 30 days, and refuse anything else by name', () => {
    expect(readConversationWindowPolicy({})).toBe('warn');
    expect(readConversationWindowPolicy({ CONVERSATION_WINDOW_POLICY: 'ENFORCE' })).toBe('enforce');
    expect(readConversationWindowPolicy({ CONVERSATION_WINDOW_POLICY: 'off' })).toBe('off');
    expect(() => readConversationWindowPolicy({ CONVERSATION_WINDOW_POLICY: 'strict' })).toThrow(
      /CONVERSATION_WINDOW_POLICY must be "warn", "enforce" or "off", got "strict"/,
    );
    expect(readConversationRecordTtl({})).toBe(30 * 24 * 3600);
    expect(() => readConversationRecordTtl({ CONVERSATION_RECORD_TTL_SECONDS: '-1' })).toThrow(/CONVERSATION_RECORD_TTL_SECONDS/);
  });
});

const TOKEN = 'ctlive-token-0123456789';
const NOW = Date.UTC(2025, 2, 1, 12);
const SENDER = '44123456789';
const CUSTOMER = '39123456789';
const KEY = `IMChannel:Conversation:${SENDER}:${CUSTOMER}`;
const infobip = { baseUrl: 'https://xxxx.api.infobip.com', apiKey: 'infobip-key-abcdef0123456789', scenarioKey: 'SCENARIO' };

/** `sender` null: neither the request nor the deployment names the business number. */
function setup(policy: WindowPolicy, lastMessage?: number, sender: string | null = SENDER) {
  const omniCalls: unknown[] = [];
  const fakeFetch = (async (_url: string, init: RequestInit) => {
    omniCalls.push(JSON.parse(String(init.body)));
    return new Response(JSON.stringify(omniSendResponse), { status: 200 });
  }) as unknown as typeof fetch;
  const idempotency = memoryIdempotency();
  const reads: string[] = [];
  if (lastMessage !== undefined) idempotency.windows.set(KEY, lastMessage);
  const conversationWindow: ConversationWindowDeps = {
    policy,
    now: () => NOW,
    read: async (key) => {
      reads.push(key);
      return idempotency.windows.has(key) ? String(idempotency.windows.get(key)) : null;
    },
  };
  const { lines, sink } = captureLines();
  const deps: OutboundDeps = {
    idempotency,
    log: createLogger('sendMessage', { format: 'text', level: 'INFO', sink }),
    infobip: createInfobipClient({ timeoutMs: 200, fetch: fakeFetch }),
    infobipConfig: { defaults: { sender: sender ?? undefined }, allowedHosts: ['*.api.infobip.com'], timeoutMs: 200 },
    conversationWindow,
  };
  const handler = makeSendMessageHandler({ ...deps, ctliveApiToken: TOKEN });
  const send = async (body: Record<string, unknown>, headers: Record<string, string> = {}) => {
    const res = await handler(
      apiEvent({
        body: { to: CUSTOMER, text: 'Hello', infobip, ...body },
        headers: { authorization: `Bearer ${TOKEN}`, ...headers },
      }),
      lambdaContext('sendMessage'),
    );
    return { status: res.statusCode, headers: res.headers ?? {}, body: JSON.parse(String(res.body)) };
  };
  return { send, omniCalls, reads, lines, idempotency, deps };
}

const closedAgo = NOW - WINDOW_MS - 60_000; // the customer wrote 24 h and a minute ago
const openSince = NOW - 60 * 60_000; // an hour ago

describe('a free-form send and the window', () => {
  it('warn: a closed window is sent, said in the answer and in a WARN line', async () => {
    const { send, omniCalls, lines } = setup('warn', closedAgo);

    const res = await send({}, { 'idempotency-key': 'k-warn' });

    expect(res.status).toBe(200);
    expect(omniCalls).toHaveLength(1);
    expect(res.body.conversationWindow).toEqual({ open: false, closedAt: new Date(closedAgo + WINDOW_MS).toISOString() });
    expect(lines.some((l) => l.includes("Sent outside the customer's 24-hour window (closed at"))).toBe(true);
  });

  it('enforce: a closed window is refused with 422 CONVERSATION_WINDOW_CLOSED, Infobip never called, the key released', async () => {
    const t = setup('enforce', closedAgo);

    const res = await t.send({}, { 'idempotency-key': 'k-enforce' });

    expect(res.status).toBe(422);
    expect(res.body.error).toMatchObject({
      code: 'CONVERSATION_WINDOW_CLOSED',
      retryable: false,
      conversationWindow: { open: false, closedAt: new Date(closedAgo + WINDOW_MS).toISOString() },
    });
    expect(res.body.error.message).toContain(new Date(closedAgo + WINDOW_MS).toISOString());
    expect(res.body.error.message).toMatch(/template/);
    expect(t.omniCalls).toHaveLength(0);
    expect(t.idempotency.values.size).toBe(0);

    // Once the customer writes again, the same key goes out.
    t.idempotency.windows.set(KEY, openSince);
    const retry = await t.send({}, { 'idempotency-key': 'k-enforce' });
    expect(retry.status).toBe(200);
    expect(t.omniCalls).toHaveLength(1);
  });

  it('enforce: an open window goes out and says when it closes', async () => {
    const { send, omniCalls } = setup('enforce', openSince);

    const res = await send({});

    expect(res.status).toBe(200);
    expect(omniCalls).toHaveLength(1);
    expect(res.body.conversationWindow).toEqual({ open: true, closesAt: new Date(openSince + WINDOW_MS).toISOString() });
  });

  it('enforce: a conversation never seen, or no business number, is unknown and goes out', async () => {
    const never = setup('enforce');
    const res = await never.send({}, { 'idempotency-key': 'k-never' });
    expect(res.status).toBe(200);
    expect(res.body.conversationWindow).toEqual({ open: null, reason: 'NO_RECORD' });

    const noSender = setup('enforce', closedAgo, null);
    const blind = await noSender.send({});
    expect(blind.status).toBe(200);
    expect(blind.body.conversationWindow).toEqual({ open: null, reason: 'NO_SENDER' });
    expect(noSender.reads).toEqual([]);
  });

  it("the request's infobip.sender names the business number before INFOBIP_SENDER does", async () => {
    const { send } = setup('enforce', closedAgo, '44999999999');
    const res = await send({ infobip: { ...infobip, sender: `+${SENDER}` } });
    expect(res.status).toBe(422);
  });

  it('off: no read, no refusal, no conversationWindow', async () => {
    const { send, reads, omniCalls } = setup('off', closedAgo);
    const res = await send({});
    expect(res.status).toBe(200);
    expect(omniCalls).toHaveLength(1);
    expect(res.body).not.toHaveProperty('conversationWindow');
    expect(reads).toEqual([]);
  });

  it('a keyed send reads the window in its claim, an unkeyed one reads it itself', async () => {
    const keyed = setup('warn', openSince);
    await keyed.send({}, { 'idempotency-key': 'k-claim' });
    expect(keyed.reads).toEqual([]);

    const unkeyed = setup('warn', openSince);
    const res = await unkeyed.send({});
    expect(unkeyed.reads).toEqual([KEY]);
    expect(res.body.conversationWindow).toEqual({ open: true, closesAt: new Date(openSince + WINDOW_MS).toISOString() });
  });

  it('an unreadable window (Redis down, unkeyed) is unknown, and the send goes out even under enforce', async () => {
    const t = setup('enforce', closedAgo);
    t.deps.conversationWindow = {
      ...(t.deps.conversationWindow as ConversationWindowDeps),
      read: () => Promise.reject(new Error('ECONNREFUSED')),
    };
    const handler = makeSendMessageHandler({ ...t.deps, ctliveApiToken: TOKEN });
    const res = await handler(
      apiEvent({ body: { to: CUSTOMER, text: 'Hello', infobip }, headers: { authorization: `Bearer ${TOKEN}` } }),
      lambdaContext('sendMessage'),
    );
    expect(res.statusCode).toBe(200);
    expect(JSON.parse(String(res.body)).conversationWindow).toEqual({ open: null, reason: 'UNAVAILABLE' });
    expect(t.lines.some((l) => l.includes("Could not read the conversation's 24-hour window"))).toBe(true);
  });

  it('a replay answers the first answer as it was, even after the window changed', async () => {
    const t = setup('warn', openSince);
    const first = await t.send({}, { 'idempotency-key': 'k-replay' });
    t.idempotency.windows.set(KEY, closedAgo - WINDOW_MS);

    const replay = await t.send({}, { 'idempotency-key': 'k-replay' });

    expect(replay.headers['idempotent-replayed']).toBe('true');
    expect(replay.body).toEqual(first.body);
    expect(t.omniCalls).toHaveLength(1);
  });
});

describe('a template and the window', () => {
  it("messageType 'template' goes out to a closed window under enforce, and still reports it", async () => {
    const t = setup('enforce', closedAgo);
    const body = { to: CUSTOMER, infobip };
    const event: HttpEvent = { ...apiEvent({ body }), jsonBody: body };

    const res = await sendOnce(
      t.deps,
      event,
      body,
      async ({ messageId }) =>
        jsonResponse(
          200,
          sentBody(
            await sendToInfobip(
              t.deps,
              { ...body, messageId },
              { kind: 'text', text: 'the template route passes its own whatsApp' },
              omniText,
            ),
          ),
        ),
      { messageType: 'template' },
    );

    expect(res.statusCode).toBe(200);
    expect(t.omniCalls).toHaveLength(1);
    expect(JSON.parse(String(res.body)).conversationWindow).toEqual({
      open: false,
      closedAt: new Date(closedAgo + WINDOW_MS).toISOString(),
    });
    expect(t.lines.some((l) => l.includes('Sent outside'))).toBe(false);
  });
});
