import { reportTokenFor } from '../../lib/platform/reportToken';
import { createInfobipClient } from '../../lib/outbound/infobip';
import { memoryIdempotency } from '../support/idempotencyFake';
import { readNotifyUrl } from '../../lib/platform/config';
import { createLogger } from '../../lib/platform/log';
import { makeSendMessageHandler } from '../../lib/messages/text';
import { apiEvent, captureLines, lambdaContext } from '../support/lambda';
import omniSendResponse from '../fixtures/infobip/infobip-omni-send.response.json';
import omniTextRequest from '../fixtures/infobip/infobip-omni-send-text.request.json';
import omniError from '../fixtures/infobip/infobip-omni-error.response.json';
import omniRejected from '../fixtures/infobip/infobip-omni-send-rejected.response.json';

const TOKEN = 'ctlive-token-0123456789';
const API_KEY = 'infobip-key-abcdef0123456789';
const BASE_URL = 'https://xxxx.api.infobip.com';
const REPORT_TOKEN = 'report-token-0123456789abcdef0123456789';

interface Call {
  url: string;
  init: RequestInit;
}

function setup(answer: (call: Call) => Promise<Response> | Response, publicUrl?: string, defaultBaseUrl?: string) {
  const calls: Call[] = [];
  const fakeFetch = (async (url: string, init: RequestInit) => {
    const call = { url, init };
    calls.push(call);
    return answer(call);
  }) as unknown as typeof fetch;
  const { lines, sink } = captureLines();
  const log = createLogger('sendMessage', { format: 'text', level: 'INFO', sink, secrets: [TOKEN, REPORT_TOKEN] });
  const handler = makeSendMessageHandler({
    idempotency: memoryIdempotency(),
    log,
    infobip: createInfobipClient({ timeoutMs: 200, fetch: fakeFetch }),
    infobipConfig: { defaults: { baseUrl: defaultBaseUrl }, allowedHosts: ['*.api.infobip.com', '127.0.0.1'], timeoutMs: 200 },
    notifyUrl: readNotifyUrl({ IMCHANNEL_PUBLIC_URL: publicUrl, INFOBIP_REPORT_TOKEN: REPORT_TOKEN }),
    ctliveApiToken: TOKEN,
  });
  const send = async (body: unknown, headers: Record<string, string> = { authorization: `Bearer ${TOKEN}` }, raw = false) => {
    const result = await handler(apiEvent({ body, headers, rawBody: raw }), lambdaContext('sendMessage'));
    lastHeaders = result.headers ?? {};
    return { status: result.statusCode, body: JSON.parse(String(result.body)) };
  };
  let lastHeaders: Record<string, unknown> = {};
  return { calls, lines, send, headers: () => lastHeaders };
}

const validBody = {
  to: '39123456789',
  text: 'Service Message - Chat Closed Success.',
  infobip: { baseUrl: BASE_URL, apiKey: API_KEY, scenarioKey: 'AAAAAAAAAAAABC63903B684B3E46C5DD869' },
};

const ok = () => new Response(JSON.stringify(omniSendResponse), { status: 200 });

describe('sendMessage', () => {
  it('answers 422 INFOBIP_REJECTED, not 200, when Infobip accepts the call but rejects the message', async () => {
    const { send } = setup(() => new Response(JSON.stringify(omniRejected), { status: 200 }));

    const res = await send(validBody);

    expect(res.status).toBe(422);
    expect(res.body.error).toMatchObject({
      code: 'INFOBIP_REJECTED',
      messageId: omniRejected.messages[0]?.messageId,
      status: omniRejected.messages[0]?.status,
    });
  });

  it('sends the runbook OMNI request with the App key and answers with Infobip messages[0]', async () => {
    const { calls, lines, send } = setup(ok);

    const res = await send(validBody);

    expect(res.status).toBe(200);
    expect(res.body).toEqual({
      messageId: '6920cb18-8b18-4172-9de7-514e2aac9ef1',
      to: '39123456789',
      status: omniSendResponse.messages[0]?.status,
      transport: 'omni',
    });
    expect(calls).toHaveLength(1);
    expect(calls[0]?.url).toBe(`${BASE_URL}/omni/1/advanced`);
    expect((calls[0]?.init.headers as Record<string, string>).authorization).toBe(`App ${API_KEY}`);
    expect(JSON.parse(String(calls[0]?.init.body))).toEqual(omniTextRequest);
    expect(lines).toEqual([
      `[IMCHANNEL] [sendMessage] request to [${BASE_URL}/omni/1/advanced] Data [${JSON.stringify(omniTextRequest)}] with api key header`,
      `[IMCHANNEL] [sendMessage] response of [${BASE_URL}/omni/1/advanced]: ${JSON.stringify(omniSendResponse)}`,
    ]);
  });

  it('adds messageId, callbackData and notifyUrl (with its report token, scrubbed from the log) when they apply', async () => {
    const { calls, lines, send } = setup(ok, 'https://host/tenant/imchannel', BASE_URL);

    await send({ ...validBody, to: '+39123456789', messageId: 'my-id-1', callbackData: 'cb' });

    expect(JSON.parse(String(calls[0]?.init.body))).toEqual({
      ...omniTextRequest,
      destinations: [{ to: { phoneNumber: '39123456789' }, messageId: 'my-id-1' }],
      callbackData: 'cb',
      notifyUrl: `https://host/tenant/imchannel/onDeliveryReport?token=${reportTokenFor(REPORT_TOKEN, 'my-id-1')}`,
    });
    expect(lines.join('\n')).toContain('onDeliveryReport?token=***');
    expect(lines.join('\n')).not.toContain(REPORT_TOKEN);
  });

  it.each([
    ['the deployment has none', undefined],
    ['the deployment has another', 'https://yyyy.api.infobip.com'],
  ])(
    "a send to another Infobip account than the deployment's own (%s) names it in notifyUrl, bound into the token",
    async (_name, defaultBaseUrl) => {
      const { calls, lines, send } = setup(ok, 'https://host/tenant/imchannel', defaultBaseUrl);

      await send({ ...validBody, messageId: 'my-id-1' });

      const token = reportTokenFor(REPORT_TOKEN, 'my-id-1', 'xxxx.api.infobip.com');
      expect(JSON.parse(String(calls[0]?.init.body)).notifyUrl).toBe(
        `https://host/tenant/imchannel/onDeliveryReport?account=xxxx.api.infobip.com&token=${token}`,
      );
      expect(token).not.toBe(reportTokenFor(REPORT_TOKEN, 'my-id-1'));
      expect(lines.join('\n')).toContain('onDeliveryReport?account=xxxx.api.infobip.com&token=***');
    },
  );

  it.each([
    ['no header', {}],
    ['a wrong token', { authorization: 'Bearer wrong' }],
    ['another scheme', { authorization: `Basic ${TOKEN}` }],
  ])('answers 401 and sends nothing with %s', async (_name, headers) => {
    const { calls, send } = setup(ok);
    const res = await send(validBody, headers);
    expect(res.status).toBe(401);
    expect(res.body.error.code).toBe('UNAUTHORIZED');
    expect(calls).toHaveLength(0);
  });

  it.each([
    ['letters in to', { ...validBody, to: '39abc456789' }, 'to'],
    ['3 digits in to', { ...validBody, to: '123' }, 'to'],
    ['a number for to', { ...validBody, to: 39123456789 }, 'to'],
    ['empty text', { ...validBody, text: '' }, 'text'],
    ['4097 characters of text', { ...validBody, text: 'x'.repeat(4097) }, 'text'],
    ['callbackData over 4000', { ...validBody, callbackData: 'x'.repeat(4001) }, 'callbackData'],
    ['infobip not an object', { ...validBody, infobip: 'x' }, 'infobip'],
  ])('answers 400 with details for %s', async (_name, body, path) => {
    const { calls, send } = setup(ok);
    const res = await send(body);
    expect(res.status).toBe(400);
    expect(res.body.error.code).toBe('VALIDATION_FAILED');
    expect(res.body.error.details).toEqual(expect.arrayContaining([expect.objectContaining({ path })]));
    expect(calls).toHaveLength(0);
  });

  it('answers 400 INVALID_JSON for a body that is not JSON', async () => {
    const { send } = setup(ok);
    const res = await send('{"to":', { authorization: `Bearer ${TOKEN}` }, true);
    expect(res).toEqual({
      status: 400,
      body: {
        error: { code: 'INVALID_JSON', message: 'Request body is not valid JSON (at position 6)', retryable: false, position: 6 },
      },
    });
  });

  it.each([
    ['+39123456789', '39123456789'],
    ['0039123456789', '39123456789'],
    [' 39123456789 ', '39123456789'],
  ])('sends %s to Infobip as %s', async (given, sent) => {
    const { calls, send } = setup(ok);
    expect((await send({ ...validBody, to: given })).status).toBe(200);
    expect(JSON.parse(String(calls[0]?.init.body)).destinations[0].to).toEqual({ phoneNumber: sent });
  });

  // A customer known by a username has a Business-Scoped User ID and maybe no number.
  it.each(['US.13491208655302741918', `IT.${'a1B2'.repeat(36)}abc`])('sends the BSUID %s as to.whatsAppUserId', async (to) => {
    const { calls, send } = setup(ok);
    const res = await send({ ...validBody, to });
    expect(res.status).toBe(200);
    expect(res.body.to).toBe(to);
    expect(JSON.parse(String(calls[0]?.init.body)).destinations[0].to).toEqual({ whatsAppUserId: to });
  });

  it.each(['us.13491208655302741918', 'US.', 'US.1349-1208', `US.${'1'.repeat(148)}`, 'USA.123'])(
    'refuses %s, which is no BSUID, with the hint for both forms',
    async (to) => {
      const { calls, send } = setup(ok);
      const res = await send({ ...validBody, to });
      expect(res.status).toBe(400);
      expect(res.body.error.details[0]).toMatchObject({
        path: 'to',
        message: expect.stringContaining('WhatsApp user ID (BSUID'),
      });
      expect(calls).toEqual([]);
    },
  );

  it.each(['+39 123 456 789', '039123456789', '00', '+0039123456789'])(
    'refuses %s with a hint about the country code',
    async (to) => {
      const { calls, send } = setup(ok);
      const res = await send({ ...validBody, to });
      expect(res.status).toBe(400);
      expect(res.body.error.details[0]).toMatchObject({ path: 'to', message: expect.stringContaining('country code') });
      expect(calls).toEqual([]);
    },
  );

  it('says where the JSON broke', async () => {
    const { send } = setup(ok);
    const res = await send('{"to":"39123456789",}', { authorization: `Bearer ${TOKEN}` }, true);
    expect(res.body.error).toMatchObject({ code: 'INVALID_JSON', position: 20 });
  });

  it.each([
    ['no Content-Type', { authorization: `Bearer ${TOKEN}`, 'content-type': '' }],
    ['text/plain', { authorization: `Bearer ${TOKEN}`, 'content-type': 'text/plain' }],
    ['a form', { authorization: `Bearer ${TOKEN}`, 'content-type': 'application/x-www-form-urlencoded' }],
  ])('answers 415 CONTENT_TYPE_NOT_JSON for %s, and calls nobody', async (_name, headers) => {
    const { calls, send } = setup(ok);
    const res = await send(validBody, headers);
    expect(res.status).toBe(415);
    expect(res.body.error.code).toBe('CONTENT_TYPE_NOT_JSON');
    expect(res.body.error.message).toContain('Content-Type: application/json');
    expect(calls).toEqual([]);
  });

  it('takes application/json with a charset, and any +json type', async () => {
    for (const type of ['application/json; charset=utf-8', 'application/vnd.api+json']) {
      const { send } = setup(ok);
      expect((await send(validBody, { authorization: `Bearer ${TOKEN}`, 'content-type': type })).status).toBe(200);
    }
  });

  it('answers 413 for a body over the limit', async () => {
    const { calls, send } = setup(ok);
    const res = await send({ ...validBody, padding: 'x'.repeat(300 * 1024) });
    expect(res.status).toBe(413);
    expect(res.body.error.code).toBe('PAYLOAD_TOO_LARGE');
    expect(calls).toHaveLength(0);
  });

  it('answers 400 naming the settings that are neither in the request nor the defaults', async () => {
    const { send } = setup(ok);
    const res = await send({ to: '39123456789', text: 'hi', infobip: { baseUrl: BASE_URL } });
    expect(res.status).toBe(400);
    expect(res.body.error.details).toEqual([
      { path: 'infobip.apiKey', message: 'required' },
      { path: 'infobip.scenarioKey', message: 'required' },
    ]);
  });

  it.each([
    'https://evil.example.com',
    'http://xxxx.api.infobip.com',
    'https://api.infobip.com.evil.com',
    'https://user:pass@xxxx.api.infobip.com',
    'https://xxxx.api.infobip.com/some/path',
    'not a url',
  ])('answers 400 and sends the key nowhere for baseUrl %s', async (baseUrl) => {
    const { calls, send } = setup(ok);
    const res = await send({ ...validBody, infobip: { ...validBody.infobip, baseUrl } });
    expect(res.status).toBe(400);
    expect(calls).toHaveLength(0);
  });

  it('answers 502 with upstreamStatus and the serviceException when Infobip refuses', async () => {
    const { lines, send } = setup(() => new Response(JSON.stringify(omniError), { status: 400 }));
    const res = await send({ ...validBody, messageId: 'm-1' });
    expect(res.status).toBe(502);
    expect(res.body.error).toMatchObject({
      code: 'INFOBIP_ERROR',
      upstreamStatus: 400,
      serviceException: { messageId: 'BAD_REQUEST', text: 'Bad request' },
    });
    expect(lines.at(-1)).toContain('[IMCHANNEL] [sendMessage] Request failed with 502 INFOBIP_ERROR (messageId [m-1])');
  });

  it.each([
    ['an HTML error page', () => new Response('<html>Bad Gateway</html>', { status: 503 }), 502],
    ['a 200 that is not an OMNI answer', () => new Response('garbage', { status: 200 }), 502],
    ['a refused connection', () => Promise.reject(new TypeError('fetch failed')), 502],
  ])('answers 502 for %s', async (_name, answer, status) => {
    const { send } = setup(answer);
    const res = await send(validBody);
    expect(res.status).toBe(status);
    expect(res.body.error.code).toBe('INFOBIP_ERROR');
  });

  describe('retry guidance: every error says whether a retry may pass, and when', () => {
    const at = (seconds: number) => new Date(Date.now() + seconds * 1000).toUTCString();
    it.each([
      ["Infobip's Retry-After in seconds", { 'retry-after': '17' }, '17'],
      ["Infobip's Retry-After as a date", { 'retry-after': at(30) }, /^(29|30|31)$/],
      ['no Retry-After from Infobip', {}, '5'],
      ['a nonsense Retry-After', { 'retry-after': 'soon' }, '5'],
    ])('an Infobip 429 is answered 429 with Retry-After (%s), not 502', async (_name, headers, expected) => {
      const t = setup(() => new Response('{}', { status: 429, headers }));
      const res = await t.send(validBody);
      expect(res.status).toBe(429);
      expect(res.body.error).toMatchObject({ code: 'INFOBIP_RATE_LIMITED', retryable: true, upstreamStatus: 429 });
      expect(t.headers()['retry-after']).toEqual(expected instanceof RegExp ? expect.stringMatching(expected) : expected);
    });

    it.each([
      ['an Infobip 5xx', () => new Response('oops', { status: 500 }), 502, true],
      ['Infobip unreachable', () => Promise.reject(new TypeError('fetch failed')), 502, true],
      [
        'an Infobip 401 (a wrong key fails every time)',
        () => new Response(JSON.stringify(omniError), { status: 401 }),
        502,
        false,
      ],
      ['a REJECTED status', () => new Response(JSON.stringify(omniRejected), { status: 200 }), 422, false],
    ])('%s: retryable is %s', async (_name, answer, status, retryable) => {
      const t = setup(answer);
      const res = await t.send(validBody);
      expect({ status: res.status, retryable: res.body.error.retryable }).toEqual({ status, retryable });
      expect(t.headers()['retry-after']).toBeUndefined();
    });

    it("a caller's mistake is not retryable", async () => {
      const t = setup(ok);
      expect((await t.send({ ...validBody, to: 'x' })).body.error.retryable).toBe(false);
      expect((await t.send(validBody, {})).body.error).toMatchObject({ code: 'UNAUTHORIZED', retryable: false });
    });
  });

  it('answers 504 when Infobip does not answer in time', async () => {
    const { send } = setup(
      (call) =>
        new Promise<Response>((_resolve, reject) =>
          call.init.signal?.addEventListener('abort', () => reject(call.init.signal?.reason)),
        ),
    );
    const res = await send(validBody);
    expect(res.status).toBe(504);
    expect(res.body.error.code).toBe('INFOBIP_TIMEOUT');
  });

  it('never logs the API key or the bearer token, whatever fails', async () => {
    const { lines, send } = setup(() => new Response(`<html>echo ${API_KEY} App ${API_KEY}</html>`, { status: 500 }));
    await send(validBody);
    await send({ ...validBody, to: API_KEY });
    const all = lines.join('\n');
    expect(lines.length).toBeGreaterThan(2);
    expect(all).not.toContain(API_KEY);
    expect(all).not.toContain(TOKEN);
  });
});
