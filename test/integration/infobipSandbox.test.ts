import { createHash, randomBytes } from 'node:crypto';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import {
  inboundMessagePayload,
  postWebhook,
  seenReportPayload,
  startInfobipSandbox,
  type InfobipSandbox,
  type SandboxOptions,
} from '../../tools/infobipSandbox';
import { toMessageEvent, toReportEvent } from '../../lib/inbound/events';
import type { RawResult } from '../../lib/inbound/schemas';

// Copied from the spec's shared fixtures so the test does not depend on a path outside the repo.
const SEND_TEXT_REQUEST = {
  scenarioKey: 'AAAAAAAAAAAABC63903B684B3E46C5DD869',
  destinations: [{ to: { phoneNumber: '39123456789' } }],
  whatsApp: { text: 'Service Message - Chat Closed Success.' },
};
const SEND_RESPONSE = {
  messages: [
    {
      to: { phoneNumber: '39123456789' },
      status: { groupId: 1, groupName: 'PENDING', id: 7, name: 'PENDING_ENROUTE', description: 'Message sent to next instance' },
      messageId: '6920cb18-8b18-4172-9de7-514e2aac9ef1',
    },
  ],
};
const INBOUND_TEXT = {
  results: [
    {
      from: '39123456789',
      to: '44123456789',
      integrationType: 'WHATSAPP',
      receivedAt: '2025-02-27T15:44:57.000+0000',
      messageId: 'wamid.HBgMMzUxOTI3NDgyNjYyFQIAEhggNEVERTc4NzZBNzJFNTYyRTJFQjZDQzQ3OTdDRTA0RjIA',
      pairedMessageId: null,
      callbackData: null,
      message: { text: 'Oh well', type: 'TEXT' },
      contact: { name: 'Username1' },
      price: { pricePerMessage: 0, currency: 'SEK' },
    },
  ],
  messageCount: 1,
  pendingMessageCount: 0,
};

const API_KEY = 'test-key-0123456789';
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/;
const INFOBIP_TIME = /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}\+0000$/;

interface Recorded {
  method: string;
  path: string;
  headers: IncomingMessage['headers'];
  body: string;
  at: number;
}

/** A tiny real HTTP server standing in for IMChannel's media and webhook routes. */
async function startRecorder(respond: (req: IncomingMessage, res: ServerResponse) => void) {
  const requests: Recorded[] = [];
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      requests.push({
        method: req.method ?? '',
        path: req.url ?? '',
        headers: req.headers,
        body: Buffer.concat(chunks).toString('utf8'),
        at: performance.now(),
      });
      respond(req, res);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  const close = () =>
    new Promise<void>((resolve) => {
      server.close(() => resolve());
      server.closeAllConnections();
    });
  return { url, requests, close };
}

async function omni(sandbox: InfobipSandbox, body: unknown, headers: Record<string, string> = {}) {
  const res = await fetch(`${sandbox.url}/omni/1/advanced`, {
    method: 'POST',
    headers: { authorization: `App ${API_KEY}`, 'content-type': 'application/json', ...headers },
    body: typeof body === 'string' ? body : JSON.stringify(body),
  });
  const text = await res.text();
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    json = undefined;
  }
  return { status: res.status, contentType: res.headers.get('content-type'), text, json };
}

const withText = (whatsApp: Record<string, unknown>, extra: Record<string, unknown> = {}) => ({
  ...SEND_TEXT_REQUEST,
  whatsApp,
  ...extra,
});

describe('Infobip sandbox: POST /omni/1/advanced', () => {
  let sandbox: InfobipSandbox;
  const logLines: string[] = [];

  beforeAll(async () => {
    sandbox = await startInfobipSandbox({ apiKey: API_KEY, log: (l) => logLines.push(l) });
  });
  afterAll(() => sandbox.close());
  beforeEach(() => sandbox.reset());

  it('listens on 127.0.0.1 on a free port', () => {
    expect(sandbox.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
    expect(sandbox.url).not.toMatch(/:0$/);
  });

  describe('auth', () => {
    const unauthorised = {
      requestError: { serviceException: { messageId: 'UNAUTHORIZED', text: 'Invalid login details' } },
    };

    it.each([
      ['missing', undefined],
      ['a wrong key', `App wrong-${API_KEY}`],
      ['the right key under another scheme', `Bearer ${API_KEY}`],
      ['the key alone', API_KEY],
      ['a prefix of the key', `App ${API_KEY.slice(0, -1)}`],
    ])('answers 401 with Infobip’s error body when the key is %s', async (_, authorization) => {
      const res = await fetch(`${sandbox.url}/omni/1/advanced`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', ...(authorization ? { authorization } : {}) },
        body: JSON.stringify(SEND_TEXT_REQUEST),
      });

      expect(res.status).toBe(401);
      expect(await res.json()).toEqual(unauthorised);
      expect(sandbox.received).toHaveLength(1);
    });

    it('records refused requests too, with lower-cased headers and the parsed body', async () => {
      await fetch(`${sandbox.url}/omni/1/advanced`, {
        method: 'POST',
        headers: { Authorization: 'App nope', 'Content-Type': 'application/json', 'X-Trace-Id': 'abc' },
        body: JSON.stringify(SEND_TEXT_REQUEST),
      });

      const [recorded] = sandbox.received;
      expect(recorded).toMatchObject({
        method: 'POST',
        path: '/omni/1/advanced',
        headers: { authorization: 'App nope', 'content-type': 'application/json', 'x-trace-id': 'abc' },
        body: SEND_TEXT_REQUEST,
      });
      expect(Object.keys(recorded!.headers).every((h) => h === h.toLowerCase())).toBe(true);
      expect(Number.isNaN(Date.parse(recorded!.at))).toBe(false);
    });

    it('never writes the API key to its log', async () => {
      await omni(sandbox, SEND_TEXT_REQUEST);
      await omni(sandbox, SEND_TEXT_REQUEST, { authorization: 'App wrong' });

      expect(logLines.length).toBeGreaterThan(0);
      expect(logLines.join('\n')).not.toContain(API_KEY);
    });
  });

  describe('validation', () => {
    // Every test here sends Infobip a body it refuses, on purpose.
    beforeEach(() => sandbox.expectSchemaRefusals());

    it('answers 400 BAD_REQUEST for a body that is not JSON, and records the raw text', async () => {
      const res = await omni(sandbox, '{"scenarioKey": ');

      expect(res.status).toBe(400);
      expect(res.json).toEqual({
        requestError: {
          serviceException: {
            messageId: 'BAD_REQUEST',
            text: 'Bad request',
            validationErrors: { body: [expect.stringContaining('malformed JSON')] },
          },
        },
      });
      expect(sandbox.received[0]?.body).toBe('{"scenarioKey": ');
    });

    const longText = 'x'.repeat(4097);
    it.each<[string, unknown, string]>([
      ['a JSON array', [SEND_TEXT_REQUEST], 'body'],
      ['no scenarioKey', { ...SEND_TEXT_REQUEST, scenarioKey: undefined }, 'scenarioKey'],
      ['a blank scenarioKey', { ...SEND_TEXT_REQUEST, scenarioKey: '  ' }, 'scenarioKey'],
      ['no destinations', { ...SEND_TEXT_REQUEST, destinations: undefined }, 'destinations'],
      ['empty destinations', { ...SEND_TEXT_REQUEST, destinations: [] }, 'destinations'],
      ['a destination without to', { ...SEND_TEXT_REQUEST, destinations: [{}] }, 'destinations[0].to'],
      [
        'a phone number with +',
        { ...SEND_TEXT_REQUEST, destinations: [{ to: { phoneNumber: '+39123456789' } }] },
        'destinations[0].to.phoneNumber',
      ],
      [
        'a numeric phone number',
        { ...SEND_TEXT_REQUEST, destinations: [{ to: { phoneNumber: 39123456789 } }] },
        'destinations[0].to.phoneNumber',
      ],
      [
        'a non-string messageId',
        { ...SEND_TEXT_REQUEST, destinations: [{ to: { phoneNumber: '391' }, messageId: 7 }] },
        'destinations[0].messageId',
      ],
      ['no whatsApp', { ...SEND_TEXT_REQUEST, whatsApp: undefined }, 'whatsApp'],
      ['an empty whatsApp', withText({}), 'whatsApp'],
      ['empty text', withText({ text: '' }), 'whatsApp.text'],
      ['text of 4097 characters', withText({ text: longText }), 'whatsApp.text'],
      ['a relative imageUrl', withText({ imageUrl: '/getImageMessage/1' }), 'whatsApp.imageUrl'],
      ['an ftp fileUrl', withText({ fileUrl: 'ftp://host/file.pdf' }), 'whatsApp.fileUrl'],
      ['two media URLs', withText({ imageUrl: 'https://h/i', fileUrl: 'https://h/f' }), 'whatsApp'],
      ['text with audioUrl', withText({ text: 'x', audioUrl: 'https://h/a' }), 'whatsApp.text'],
      ['an unknown whatsApp field', withText({ text: 'x', documentUrl: 'https://h/d' }), 'whatsApp.documentUrl'],
      ['callbackData of 4001 characters', withText({ text: 'x' }, { callbackData: 'c'.repeat(4001) }), 'callbackData'],
      ['a numeric callbackData', withText({ text: 'x' }, { callbackData: 1 }), 'callbackData'],
      ['a relative notifyUrl', withText({ text: 'x' }, { notifyUrl: '/onDeliveryReport' }), 'notifyUrl'],
      // The limits of OMNI's schema and of the WhatsApp channel behind it (validate.ts).
      ['a caption of 3001 characters', withText({ text: 'c'.repeat(3001), imageUrl: 'https://h/i' }), 'whatsApp.text'],
      ['an imageUrl of 2049 characters', withText({ imageUrl: `https://h/${'i'.repeat(2039)}` }), 'whatsApp.imageUrl'],
      ['a fileUrl of 2049 characters', withText({ fileUrl: `https://h/${'f'.repeat(2039)}` }), 'whatsApp.fileUrl'],
      ['a notifyUrl of 2049 characters', withText({ text: 'x' }, { notifyUrl: `https://h/${'n'.repeat(2039)}` }), 'notifyUrl'],
      [
        'a messageId of 201 characters',
        { ...SEND_TEXT_REQUEST, destinations: [{ to: { phoneNumber: '391' }, messageId: 'm'.repeat(201) }] },
        'destinations[0].messageId',
      ],
      [
        'a whatsAppUserId without its country code',
        { ...SEND_TEXT_REQUEST, destinations: [{ to: { whatsAppUserId: '13491208655302741918' } }] },
        'destinations[0].to.whatsAppUserId',
      ],
      [
        'a whatsAppUserId of 151 characters',
        { ...SEND_TEXT_REQUEST, destinations: [{ to: { whatsAppUserId: `US.${'1'.repeat(148)}` } }] },
        'destinations[0].to.whatsAppUserId',
      ],
    ])('answers 400 for %s, naming the field', async (_, body, field) => {
      const res = await omni(sandbox, body);

      expect(res.status).toBe(400);
      expect(res.json).toEqual({
        requestError: {
          serviceException: {
            messageId: 'BAD_REQUEST',
            text: 'Bad request',
            validationErrors: { [field]: [expect.any(String)] },
          },
        },
      });
      expect(sandbox.mediaFetches).toHaveLength(0);
    });

    it.each<[string, Record<string, unknown>]>([
      ['text of 4096 characters', withText({ text: 'x'.repeat(4096) })],
      ['callbackData of 4000 characters', withText({ text: 'x' }, { callbackData: 'c'.repeat(4000) })],
      ['an image with a caption', withText({ text: 'cap', imageUrl: 'http://127.0.0.1:1/i' })],
      ['a document without text', withText({ fileUrl: 'http://127.0.0.1:1/f' })],
      ['an audio', withText({ audioUrl: 'http://127.0.0.1:1/a' })],
      ['a video with a caption', withText({ text: 'v', videoUrl: 'http://127.0.0.1:1/v' })],
      ['a body just over 1 MiB', { ...SEND_TEXT_REQUEST, padding: 'p'.repeat(1024 * 1024) }],
      ['a caption of 3000 characters', withText({ text: 'c'.repeat(3000), videoUrl: 'http://127.0.0.1:1/v' })],
      ['an imageUrl of 2048 characters', withText({ imageUrl: `https://h/${'i'.repeat(2038)}` })],
      [
        'a messageId of 200 characters',
        { ...SEND_TEXT_REQUEST, destinations: [{ to: { phoneNumber: '391' }, messageId: 'm'.repeat(200) }] },
      ],
      [
        'a Business-Scoped User ID as the destination',
        { ...SEND_TEXT_REQUEST, destinations: [{ to: { whatsAppUserId: 'US.13491208655302741918' } }] },
      ],
    ])('accepts %s', async (_, body) => {
      const sb = await startInfobipSandbox({ apiKey: API_KEY, fetchMedia: false });
      try {
        const res = await omni(sb, body);
        expect(res.status).toBe(200);
      } finally {
        await sb.close();
      }
    });

    it('answers 415 when the body is sent as something other than JSON', async () => {
      const res = await omni(sandbox, JSON.stringify(SEND_TEXT_REQUEST), { 'content-type': 'text/plain;charset=UTF-8' });

      expect(res.status).toBe(415);
      expect(res.json).toMatchObject({ requestError: { serviceException: { messageId: 'UNSUPPORTED_MEDIA_TYPE' } } });
    });
  });

  describe('success', () => {
    it('answers exactly as the fixture, with a fresh UUID messageId', async () => {
      const res = await omni(sandbox, SEND_TEXT_REQUEST);

      expect(res.status).toBe(200);
      expect(res.contentType).toMatch(/^application\/json/);
      const body = res.json as typeof SEND_RESPONSE;
      expect(body.messages[0]?.messageId).toMatch(UUID);
      expect(body).toEqual({
        messages: [{ ...SEND_RESPONSE.messages[0], messageId: body.messages[0]?.messageId }],
      });
      expect(JSON.stringify(Object.keys(body.messages[0]!))).toBe(JSON.stringify(Object.keys(SEND_RESPONSE.messages[0]!)));
    });

    it('gives a different messageId to each message', async () => {
      const a = (await omni(sandbox, SEND_TEXT_REQUEST)).json as typeof SEND_RESPONSE;
      const b = (await omni(sandbox, SEND_TEXT_REQUEST)).json as typeof SEND_RESPONSE;

      expect(a.messages[0]?.messageId).not.toBe(b.messages[0]?.messageId);
    });

    it('uses the destination’s messageId when given, one entry per destination, in order', async () => {
      const res = await omni(sandbox, {
        ...SEND_TEXT_REQUEST,
        destinations: [{ to: { phoneNumber: '39111' }, messageId: 'mine-1' }, { to: { phoneNumber: '39222' } }],
      });

      const body = res.json as typeof SEND_RESPONSE;
      expect(body.messages.map((m) => m.to.phoneNumber)).toEqual(['39111', '39222']);
      expect(body.messages[0]?.messageId).toBe('mine-1');
      expect(body.messages[1]?.messageId).toMatch(UUID);
    });

    it('records every request in order', async () => {
      // 'nope' is not JSON, on purpose: the conformance check leaves it out.
      sandbox.expectSchemaRefusals();
      await omni(sandbox, SEND_TEXT_REQUEST);
      await omni(sandbox, 'nope');

      expect(sandbox.received.map((r) => r.body)).toEqual([SEND_TEXT_REQUEST, 'nope']);
    });
  });

  it.each([
    ['GET', '/omni/1/advanced'],
    ['POST', '/omni/1/advanced/extra'],
    ['POST', '/sms/2/text/advanced'],
  ])('answers 404 JSON to %s %s', async (method, path) => {
    // Paths Infobip does not have, on purpose: the conformance check leaves them out.
    sandbox.expectSchemaRefusals();
    const res = await fetch(`${sandbox.url}${path}`, {
      method,
      headers: { authorization: `App ${API_KEY}` },
      ...(method === 'POST' ? { body: '{}' } : {}),
    });

    expect(res.status).toBe(404);
    expect(res.headers.get('content-type')).toMatch(/^application\/json/);
    expect(await res.json()).toMatchObject({ requestError: { serviceException: { messageId: 'NOT_FOUND' } } });
  });

  describe('failNext', () => {
    it('fails the next call with the status and Infobip’s error body, then recovers', async () => {
      sandbox.failNext({ status: 500 });

      const failed = await omni(sandbox, SEND_TEXT_REQUEST);
      const next = await omni(sandbox, SEND_TEXT_REQUEST);

      expect(failed.status).toBe(500);
      expect(failed.json).toEqual({
        requestError: { serviceException: { messageId: 'GENERAL_ERROR', text: expect.any(String) } },
      });
      expect(next.status).toBe(200);
    });

    it('fails as many calls as `times` says', async () => {
      sandbox.failNext({ status: 503, times: 2 });

      const statuses = [];
      for (let i = 0; i < 3; i++) statuses.push((await omni(sandbox, SEND_TEXT_REQUEST)).status);

      expect(statuses).toEqual([503, 503, 200]);
    });

    it('sends a raw body with 200 when only a body is given', async () => {
      sandbox.failNext({ body: 'garbage' });

      const res = await omni(sandbox, SEND_TEXT_REQUEST);

      expect(res.status).toBe(200);
      expect(res.text).toBe('garbage');
    });

    it('sends a raw HTML body with the status, as a proxy in front of Infobip would', async () => {
      sandbox.failNext({ status: 502, body: '<html><body>Bad Gateway</body></html>' });

      const res = await omni(sandbox, SEND_TEXT_REQUEST);

      expect(res.status).toBe(502);
      expect(res.contentType).toMatch(/^text\/html/);
      expect(res.text).toBe('<html><body>Bad Gateway</body></html>');
    });

    it('delays the answer, then answers normally when only a delay is given', async () => {
      sandbox.failNext({ delayMs: 400 });

      const started = performance.now();
      const res = await omni(sandbox, SEND_TEXT_REQUEST);
      const elapsed = performance.now() - started;
      const started2 = performance.now();
      await omni(sandbox, SEND_TEXT_REQUEST);
      const elapsed2 = performance.now() - started2;

      expect(res.status).toBe(200);
      expect(elapsed).toBeGreaterThanOrEqual(390);
      expect(elapsed2).toBeLessThan(390);
    });

    it('lets a caller time out during a delay, as against a hanging Infobip', async () => {
      sandbox.failNext({ delayMs: 5_000, status: 500 });

      await expect(
        fetch(`${sandbox.url}/omni/1/advanced`, {
          method: 'POST',
          headers: { authorization: `App ${API_KEY}`, 'content-type': 'application/json' },
          body: JSON.stringify(SEND_TEXT_REQUEST),
          signal: AbortSignal.timeout(200),
        }),
      ).rejects.toThrow();
    });

    it('is cleared by reset()', async () => {
      sandbox.failNext({ status: 500, times: 5 });
      sandbox.reset();

      expect((await omni(sandbox, SEND_TEXT_REQUEST)).status).toBe(200);
      expect(sandbox.received).toHaveLength(1);
    });
  });
});

describe('Infobip sandbox: media fetch', () => {
  const bytes = randomBytes(2048);
  const sha = createHash('sha256').update(bytes).digest('hex');
  let media: Awaited<ReturnType<typeof startRecorder>>;
  let sandbox: InfobipSandbox;

  beforeAll(async () => {
    media = await startRecorder((req, res) => {
      if (!req.url?.startsWith('/getImageMessage/')) {
        res.writeHead(404, { 'content-type': 'application/json' }).end('{"error":{"code":"NOT_FOUND"}}');
        return;
      }
      res.writeHead(200, { 'content-type': 'image/jpeg', 'content-length': bytes.length, 'x-custom': 'Yes' });
      res.end(req.method === 'HEAD' ? undefined : bytes);
    });
    sandbox = await startInfobipSandbox({ apiKey: API_KEY });
  });
  afterAll(async () => {
    await sandbox.close();
    await media.close();
  });
  beforeEach(() => {
    sandbox.reset();
    media.requests.length = 0;
  });

  it.each(['imageUrl', 'fileUrl', 'videoUrl', 'audioUrl'])(
    'after a %s message, fetches it with HEAD then GET and records status, headers and sha256',
    async (key) => {
      const url = `${media.url}/getImageMessage/bb8b8717-5b71-45a7-be04-af9cb746661b`;

      const res = await omni(sandbox, withText({ [key]: url }));
      const fetches = await sandbox.waitForMediaFetches(2);

      expect(res.status).toBe(200);
      expect(media.requests.map((r) => r.method)).toEqual(['HEAD', 'GET']);
      expect(fetches).toEqual([
        {
          url,
          method: 'HEAD',
          status: 200,
          headers: expect.objectContaining({ 'content-type': 'image/jpeg', 'content-length': '2048', 'x-custom': 'Yes' }),
          at: expect.any(String),
        },
        {
          url,
          method: 'GET',
          status: 200,
          headers: expect.objectContaining({ 'content-type': 'image/jpeg', 'content-length': '2048' }),
          bodySha256: sha,
          bodyBytes: 2048,
          at: expect.any(String),
        },
      ]);
    },
  );

  it('records a 404 answer as it is', async () => {
    await omni(sandbox, withText({ imageUrl: `${media.url}/elsewhere` }));

    const fetches = await sandbox.waitForMediaFetches(2);

    expect(fetches.map((f) => [f.method, f.status])).toEqual([
      ['HEAD', 404],
      ['GET', 404],
    ]);
    expect(fetches[1]?.bodySha256).toBe(createHash('sha256').update('{"error":{"code":"NOT_FOUND"}}').digest('hex'));
  });

  it('records a network error in `error`', async () => {
    const gone = await startRecorder((_, res) => res.end());
    await gone.close();

    await omni(sandbox, withText({ imageUrl: `${gone.url}/getImageMessage/x` }));
    const fetches = await sandbox.waitForMediaFetches(2);

    expect(fetches.map((f) => f.method)).toEqual(['HEAD', 'GET']);
    for (const f of fetches) {
      expect(f.status).toBe(0);
      expect(f.error).toMatch(/ECONNREFUSED|fetch failed/);
    }
  });

  it('fetches nothing for a text message or a refused one', async () => {
    const reports = await startRecorder((_, res) => res.end());
    try {
      await omni(sandbox, withText({ imageUrl: `${media.url}/getImageMessage/x` }), { authorization: 'App wrong' });
      // The delivery report comes after any media fetch, so it marks the end of the follow-up.
      await omni(sandbox, withText({ text: 'hi' }, { notifyUrl: `${reports.url}/onDeliveryReport` }));
      await sandbox.waitForDeliveryReports(1);

      expect(sandbox.mediaFetches).toEqual([]);
      expect(media.requests).toEqual([]);
    } finally {
      await reports.close();
    }
  });

  it('fetches nothing when fetchMedia is off', async () => {
    const reports = await startRecorder((_, res) => res.end());
    const quiet = await startInfobipSandbox({ apiKey: API_KEY, fetchMedia: false });
    try {
      await omni(quiet, withText({ imageUrl: `${media.url}/getImageMessage/x` }, { notifyUrl: `${reports.url}/dr` }));
      await quiet.waitForDeliveryReports(1);

      expect(quiet.mediaFetches).toEqual([]);
      expect(media.requests).toEqual([]);
    } finally {
      await quiet.close();
      await reports.close();
    }
  });

  it('rejects waitForMediaFetches when the fetches do not come in time', async () => {
    await expect(sandbox.waitForMediaFetches(1, 100)).rejects.toThrow(
      /timed out after 100 ms waiting for 1 media fetches; got 0/,
    );
  });
});

describe('Infobip sandbox: a failed media fetch is reported UNDELIVERABLE with Infobip’s media error', () => {
  const jpeg = randomBytes(64);
  let media: Awaited<ReturnType<typeof startRecorder>>;
  let receiver: Awaited<ReturnType<typeof startRecorder>>;
  let sandbox: InfobipSandbox;

  beforeAll(async () => {
    media = await startRecorder((req, res) => {
      const ok = { 'content-type': 'image/jpeg', 'content-length': jpeg.length };
      switch (req.url) {
        case '/ok':
          return res.writeHead(200, ok).end(req.method === 'HEAD' ? undefined : jpeg);
        case '/404':
          return res.writeHead(404, { 'content-type': 'application/json' }).end('{}');
        case '/503':
          return res.writeHead(503).end();
        case '/redirect':
          return res.writeHead(302, { location: '/ok' }).end();
        case '/no-type':
          return res.writeHead(200, { 'content-length': jpeg.length }).end(req.method === 'HEAD' ? undefined : jpeg);
        case '/html':
          return res.writeHead(200, { 'content-type': 'text/html' }).end('<html></html>');
        case '/type-changes':
          return res.writeHead(200, { ...ok, 'content-type': req.method === 'HEAD' ? 'image/png' : 'image/jpeg' }).end(jpeg);
        case '/short':
          // Content-Length promises 64 bytes; the GET sends 10 and hangs up.
          if (req.method === 'HEAD') return res.writeHead(200, ok).end();
          res.writeHead(200, ok);
          res.write(jpeg.subarray(0, 10));
          return setTimeout(() => res.socket?.destroy(), 20);
        case '/hangs':
          return undefined;
        default:
          return res.writeHead(500).end();
      }
    });
    receiver = await startRecorder((_, res) => res.writeHead(200).end('{}'));
    sandbox = await startInfobipSandbox({ apiKey: API_KEY, mediaTimeoutMs: 300, followUpDelayMs: 0 });
  });
  afterAll(async () => {
    await sandbox.close();
    await media.close();
    await receiver.close();
  });
  beforeEach(() => {
    sandbox.reset();
    media.requests.length = 0;
  });

  async function reportFor(path: string, key = 'imageUrl'): Promise<Record<string, unknown>> {
    const res = await omni(sandbox, withText({ [key]: `${media.url}${path}` }, { notifyUrl: `${receiver.url}/dr` }));
    expect(res.status).toBe(200);
    const [report] = await sandbox.waitForDeliveryReports(1, 3_000);
    return (report!.body as { results: Record<string, unknown>[] }).results[0]!;
  }

  const UNDELIVERABLE = {
    groupId: 2,
    groupName: 'UNDELIVERABLE',
    id: 9,
    name: 'UNDELIVERABLE_NOT_DELIVERED',
    description: expect.any(String),
  };
  const mediaError = (id: number, name: string, permanent: boolean) => ({
    groupId: 1,
    groupName: 'HANDSET_ERRORS',
    id,
    name,
    description: expect.any(String),
    permanent,
  });

  it('reports DELIVERED with NO_ERROR when the file is served as documented', async () => {
    const result = await reportFor('/ok');

    expect(result.status).toMatchObject({ groupName: 'DELIVERED', name: 'DELIVERED_TO_HANDSET' });
    expect(result.error).toMatchObject({ id: 0, name: 'NO_ERROR' });
  });

  it.each<[string, string, number, string, boolean]>([
    ['a 404', '/404', 7013, 'EC_MEDIA_HOSTING_ERROR', false],
    ['a 503', '/503', 7013, 'EC_MEDIA_HOSTING_ERROR', false],
    ['a redirect', '/redirect', 7013, 'EC_MEDIA_HOSTING_ERROR', false],
    ['a timeout', '/hangs', 7013, 'EC_MEDIA_HOSTING_ERROR', false],
    ['no Content-Type', '/no-type', 7015, 'EC_MEDIA_METADATA_ERROR', true],
    ['a body shorter than its Content-Length', '/short', 7015, 'EC_MEDIA_METADATA_ERROR', true],
    ['HEAD and GET disagreeing on the type', '/type-changes', 7015, 'EC_MEDIA_METADATA_ERROR', true],
    ['a type outside the image list', '/html', 7022, 'EC_MEDIA_UNSUPPORTED', true],
  ])('reports %s as UNDELIVERABLE_NOT_DELIVERED with %s', async (_, path, id, name, permanent) => {
    const result = await reportFor(path);

    expect(result.status).toEqual(UNDELIVERABLE);
    expect(result.error).toEqual(mediaError(id, name, permanent));
  });

  it('never follows a redirect: the target is not fetched', async () => {
    await reportFor('/redirect');

    expect(media.requests.map((r) => `${r.method} ${r.path}`)).toEqual(['HEAD /redirect', 'GET /redirect']);
    expect(sandbox.mediaFetches.map((f) => f.status)).toEqual([302, 302]);
  });

  it('judges the type against the kind: a JPEG sent as a document is EC_MEDIA_UNSUPPORTED', async () => {
    const result = await reportFor('/ok', 'fileUrl');

    expect(result.error).toEqual(mediaError(7022, 'EC_MEDIA_UNSUPPORTED', true));
  });
});

describe('Infobip sandbox: delivery reports', () => {
  const webhookAuth: NonNullable<SandboxOptions['webhookAuth']> = {
    basic: { username: 'infobip', password: 's3cret:with-colon' },
    header: { name: 'X-Webhook-Token', value: 'tok-123' },
  };
  let receiver: Awaited<ReturnType<typeof startRecorder>>;
  let sandbox: InfobipSandbox;

  beforeAll(async () => {
    receiver = await startRecorder((_, res) => res.writeHead(200, { 'content-type': 'application/json' }).end('{"forwarded":1}'));
    sandbox = await startInfobipSandbox({ apiKey: API_KEY, webhookAuth });
  });
  afterAll(async () => {
    await sandbox.close();
    await receiver.close();
  });
  beforeEach(() => {
    sandbox.reset();
    receiver.requests.length = 0;
  });

  it('posts a delivery report in Infobip’s shape to notifyUrl, with no credentials (its URL carries its own)', async () => {
    const notifyUrl = `${receiver.url}/imchannel/onDeliveryReport?token=report-token-0123456789abcdef0123`;
    const res = await omni(sandbox, {
      ...SEND_TEXT_REQUEST,
      destinations: [{ to: { phoneNumber: '39123456789' }, messageId: 'msg-1' }],
      callbackData: 'ctlive-ref-42',
      notifyUrl,
    });

    const [report] = await sandbox.waitForDeliveryReports(1);

    expect(res.status).toBe(200);
    expect(receiver.requests).toHaveLength(1);
    const posted = receiver.requests[0]!;
    expect(posted.method).toBe('POST');
    expect(posted.path).toBe('/imchannel/onDeliveryReport?token=report-token-0123456789abcdef0123');
    expect(posted.headers['content-type']).toBe('application/json');
    expect(posted.headers.authorization).toBeUndefined();
    expect(posted.headers['x-webhook-token']).toBeUndefined();
    const body = JSON.parse(posted.body) as { results: Record<string, unknown>[] };
    expect(body).toEqual({
      results: [
        {
          bulkId: null,
          messageId: 'msg-1',
          to: '39123456789',
          sentAt: expect.stringMatching(INFOBIP_TIME),
          doneAt: expect.stringMatching(INFOBIP_TIME),
          messageCount: 1,
          price: { pricePerMessage: 0, currency: 'EUR' },
          status: {
            groupId: 3,
            groupName: 'DELIVERED',
            id: 5,
            name: 'DELIVERED_TO_HANDSET',
            description: 'Message delivered to handset',
          },
          error: { groupId: 0, groupName: 'OK', id: 0, name: 'NO_ERROR', description: 'No Error', permanent: false },
          channel: 'WHATSAPP',
          callbackData: 'ctlive-ref-42',
          contact: { phoneNumber: '39123456789' },
        },
      ],
    });
    expect(report).toEqual({ url: notifyUrl, attempt: 1, status: 200, body, at: expect.any(String) });
  });

  it('sends the reports of a send without notifyUrl to the subscription, signed with its credentials', async () => {
    const subscribed = await startInfobipSandbox({
      apiKey: API_KEY,
      webhookAuth,
      subscription: { url: `${receiver.url}/imchannel/onDeliveryReport` },
      followUpDelayMs: 0,
    });
    try {
      await omni(subscribed, SEND_TEXT_REQUEST);
      await subscribed.waitForDeliveryReports(1);

      const posted = receiver.requests[0]!;
      expect(posted.path).toBe('/imchannel/onDeliveryReport');
      expect(posted.headers.authorization).toBe(`Basic ${Buffer.from('infobip:s3cret:with-colon').toString('base64')}`);
      expect(posted.headers['x-webhook-token']).toBe('tok-123');
    } finally {
      await subscribed.close();
    }
  });

  it('reports the messageId Infobip answered with, and leaves callbackData out when none was sent', async () => {
    const res = await omni(sandbox, { ...SEND_TEXT_REQUEST, notifyUrl: `${receiver.url}/dr` });
    const [report] = await sandbox.waitForDeliveryReports(1);

    const answered = (res.json as typeof SEND_RESPONSE).messages[0]?.messageId;
    const result = (report?.body as { results: Record<string, unknown>[] }).results[0];
    expect(result?.messageId).toBe(answered);
    expect(result).not.toHaveProperty('callbackData');
  });

  it('posts the report only after the media fetches', async () => {
    const media = await startRecorder((_, res) => res.writeHead(200, { 'content-type': 'image/png' }).end('png'));
    try {
      await omni(sandbox, withText({ imageUrl: `${media.url}/i` }, { notifyUrl: `${receiver.url}/dr` }));
      await sandbox.waitForDeliveryReports(1);

      const get = media.requests.find((r) => r.method === 'GET');
      expect(sandbox.mediaFetches.map((f) => f.method)).toEqual(['HEAD', 'GET']);
      expect(get!.at).toBeLessThan(receiver.requests[0]!.at);
    } finally {
      await media.close();
    }
  });

  it('records the receiver’s status, and a network error in `error`', async () => {
    const refusing = await startRecorder((_, res) => res.writeHead(401).end());
    const gone = await startRecorder((_, res) => res.end());
    await gone.close();
    try {
      await omni(sandbox, { ...SEND_TEXT_REQUEST, notifyUrl: `${refusing.url}/dr` });
      await sandbox.waitForDeliveryReports(1);
      await omni(sandbox, { ...SEND_TEXT_REQUEST, notifyUrl: `${gone.url}/dr` });
      const reports = await sandbox.waitForDeliveryReports(2);

      expect(reports[0]?.status).toBe(401);
      expect(reports[1]?.status).toBeUndefined();
      expect(reports[1]?.error).toMatch(/ECONNREFUSED|fetch failed/);
    } finally {
      await refusing.close();
    }
  });

  it('posts nothing when deliveryReports is off', async () => {
    const quiet = await startInfobipSandbox({ apiKey: API_KEY, deliveryReports: false });
    try {
      const media = await startRecorder((_, res) => res.end('x'));
      try {
        // Media fetches happen before the report would, so waiting for them is the barrier.
        await omni(quiet, withText({ imageUrl: `${media.url}/i` }, { notifyUrl: `${receiver.url}/dr` }));
        await quiet.waitForMediaFetches(2);
        await new Promise((r) => setTimeout(r, 100));
      } finally {
        await media.close();
      }

      expect(quiet.deliveryReports).toEqual([]);
      expect(receiver.requests).toEqual([]);
    } finally {
      await quiet.close();
    }
  });
});

describe('Infobip sandbox: report retries and batches, as Infobip pushes them', () => {
  // 0.001 turns Infobip's minutes into milliseconds: retry n waits (1 + n²) × 60 ms.
  const FAST = { timeScale: 0.001 };

  async function withSandbox(opts: Partial<SandboxOptions>, run: (sb: InfobipSandbox, log: string[]) => Promise<void>) {
    const log: string[] = [];
    const sb = await startInfobipSandbox({ apiKey: API_KEY, followUpDelayMs: 0, log: (l) => log.push(l), ...opts });
    try {
      await run(sb, log);
    } finally {
      await sb.close();
    }
  }

  it('retries a report not answered 200 on 1 min + 1 min × n², scaled, with the same body, until a 200', async () => {
    const answers = [503, 401, 200];
    const receiver = await startRecorder((_, res) => res.writeHead(answers.shift() ?? 200).end());
    try {
      await withSandbox({ reportRetry: FAST }, async (sb) => {
        await omni(sb, { ...SEND_TEXT_REQUEST, notifyUrl: `${receiver.url}/dr` });
        const posts = await sb.waitForDeliveryReports(3, 3_000);

        expect(posts.map((p) => [p.attempt, p.status])).toEqual([
          [1, 503],
          [2, 401],
          [3, 200],
        ]);
        expect(new Set(receiver.requests.map((r) => r.body)).size).toBe(1);
        const [first, second, third] = receiver.requests.map((r) => r.at);
        // Retry 1 after (1 + 1) × 60 ms, retry 2 after (1 + 4) × 60 ms.
        expect(second! - first!).toBeGreaterThanOrEqual(110);
        expect(third! - second!).toBeGreaterThanOrEqual(290);
        await new Promise((r) => setTimeout(r, 700));
        expect(receiver.requests).toHaveLength(3);
      });
    } finally {
      await receiver.close();
    }
  });

  it('gives up after maxRetries retries, and retries an unreachable receiver too', async () => {
    const gone = await startRecorder((_, res) => res.end());
    await gone.close();
    await withSandbox({ reportRetry: { ...FAST, maxRetries: 2 } }, async (sb, log) => {
      await omni(sb, { ...SEND_TEXT_REQUEST, notifyUrl: `${gone.url}/dr` });
      const posts = await sb.waitForDeliveryReports(3, 3_000);
      await new Promise((r) => setTimeout(r, 800));

      expect(sb.deliveryReports).toHaveLength(3);
      expect(posts.map((p) => p.attempt)).toEqual([1, 2, 3]);
      expect(posts.every((p) => p.status === undefined && /ECONNREFUSED|fetch failed/.test(p.error ?? ''))).toBe(true);
      expect(log.filter((l) => l.includes('given up'))).toHaveLength(1);
    });
  });

  it('batches reports due for one URL into one results array, and keeps URLs apart', async () => {
    const receiver = await startRecorder((_, res) => res.writeHead(200).end());
    try {
      await withSandbox({ reportBatchWindowMs: 150 }, async (sb) => {
        const send = (messageId: string, path: string) =>
          omni(sb, {
            ...SEND_TEXT_REQUEST,
            destinations: [{ to: { phoneNumber: '39123456789' }, messageId }],
            notifyUrl: `${receiver.url}${path}`,
          });
        await Promise.all([send('a-1', '/a'), send('a-2', '/a'), send('b-1', '/b')]);
        const posts = await sb.waitForDeliveryReports(2, 3_000);
        await new Promise((r) => setTimeout(r, 300));

        expect(sb.deliveryReports).toHaveLength(2);
        const ids = (p: (typeof posts)[number]) =>
          (p.body as { results: { messageId: string }[] }).results.map((r) => r.messageId);
        const byPath = Object.fromEntries(posts.map((p) => [new URL(p.url).pathname, ids(p).sort()]));
        expect(byPath).toEqual({ '/a': ['a-1', 'a-2'], '/b': ['b-1'] });
      });
    } finally {
      await receiver.close();
    }
  });

  it('splits a batch larger than reportBatchMax, and sends one result per destination', async () => {
    const receiver = await startRecorder((_, res) => res.writeHead(200).end());
    try {
      await withSandbox({ reportBatchMax: 2 }, async (sb) => {
        const destinations = ['d-1', 'd-2', 'd-3'].map((messageId) => ({ to: { phoneNumber: '39123456789' }, messageId }));
        await omni(sb, { ...SEND_TEXT_REQUEST, destinations, notifyUrl: `${receiver.url}/dr` });
        const posts = await sb.waitForDeliveryReports(2, 3_000);

        expect(posts.map((p) => (p.body as { results: unknown[] }).results.length).sort()).toEqual([1, 2]);
      });
    } finally {
      await receiver.close();
    }
  });

  it('keeps the notifyUrl exactly as given, and never logs its query string', async () => {
    const receiver = await startRecorder((_, res) => res.writeHead(200).end());
    try {
      await withSandbox({}, async (sb, log) => {
        await omni(sb, { ...SEND_TEXT_REQUEST, notifyUrl: `${receiver.url}/dr?token=url-secret-1&x=%2F` });
        await sb.waitForDeliveryReports(1, 3_000);

        expect(receiver.requests[0]?.path).toBe('/dr?token=url-secret-1&x=%2F');
        expect(log.some((l) => l.includes('delivery report'))).toBe(true);
        expect(log.join('\n')).not.toContain('url-secret-1');
      });
    } finally {
      await receiver.close();
    }
  });
});

describe('Infobip sandbox: webhook helpers', () => {
  it('builds an inbound TEXT payload in the fixture’s shape', () => {
    const payload = inboundMessagePayload({ text: 'Oh well' });

    const result = payload.results[0] as Record<string, unknown>;
    expect(Object.keys(payload)).toEqual(Object.keys(INBOUND_TEXT));
    expect(Object.keys(result)).toEqual(Object.keys(INBOUND_TEXT.results[0]!));
    expect(result).toMatchObject({
      from: '39123456789',
      to: '44123456789',
      integrationType: 'WHATSAPP',
      message: { type: 'TEXT', text: 'Oh well' },
      contact: { name: 'Username1' },
    });
    expect(result.receivedAt).toMatch(INFOBIP_TIME);
    expect(payload).toMatchObject({ messageCount: 1, pendingMessageCount: 0 });
  });

  it('takes from, to, messageId and contact name, and gives fresh messageIds otherwise', () => {
    const a = inboundMessagePayload({ from: '391', to: '442', messageId: 'wamid.X', contactName: 'Ann' }).results[0];
    const b = inboundMessagePayload({}).results[0] as { messageId: string };
    const c = inboundMessagePayload({}).results[0] as { messageId: string };

    expect(a).toMatchObject({ from: '391', to: '442', messageId: 'wamid.X', contact: { name: 'Ann' } });
    expect(b.messageId).not.toBe(c.messageId);
  });

  it.each<[string, Record<string, unknown>]>([
    ['IMAGE', { type: 'IMAGE', url: expect.stringMatching(/^https:\/\//), caption: 'look' }],
    ['DOCUMENT', { type: 'DOCUMENT', url: expect.stringMatching(/^https:\/\//), caption: 'look' }],
    ['VIDEO', { type: 'VIDEO', url: expect.stringMatching(/^https:\/\//), caption: 'look' }],
    ['AUDIO', { type: 'AUDIO', url: expect.stringMatching(/^https:\/\//) }],
    ['VOICE', { type: 'VOICE', url: expect.stringMatching(/^https:\/\//) }],
    ['STICKER', { type: 'STICKER', url: expect.stringMatching(/^https:\/\//) }],
    [
      'LOCATION',
      {
        type: 'LOCATION',
        longitude: expect.any(Number),
        latitude: expect.any(Number),
        name: 'look',
        address: expect.any(String),
        url: expect.stringMatching(/^https:\/\//),
      },
    ],
    ['CONTACT', { type: 'CONTACT', contacts: [expect.objectContaining({ phones: expect.any(Array) })] }],
    ['BUTTON', { type: 'BUTTON', text: 'look', payload: expect.any(String) }],
    ['INTERACTIVE_BUTTON_REPLY', { type: 'INTERACTIVE_BUTTON_REPLY', id: expect.any(String), title: 'look' }],
    [
      'INTERACTIVE_LIST_REPLY',
      { type: 'INTERACTIVE_LIST_REPLY', id: expect.any(String), title: 'look', description: expect.any(String) },
    ],
    ['ORDER', { type: 'ORDER', catalogId: expect.any(String), text: 'look', productItems: expect.any(Array) }],
    ['REACTION', { type: 'REACTION', emoji: 'look', action: 'ADDED', context: { id: expect.any(String) } }],
    [
      'INTERACTIVE_PAYMENT_CONFIRMATION',
      expect.objectContaining({ type: 'INTERACTIVE_PAYMENT_CONFIRMATION', paymentId: expect.any(String), status: 'SUCCESS' }),
    ],
    ['UNSUPPORTED', { type: 'UNSUPPORTED' }],
    ['SOMETHING_NEW', { type: 'SOMETHING_NEW', text: 'look' }],
  ])('builds a plausible %s message', (type, message) => {
    const result = inboundMessagePayload({ type, text: 'look' }).results[0] as { message: unknown };

    expect(result.message).toEqual(message);
  });

  it('builds reactions, locations and seen reports that IMChannel lifts from their official fields', () => {
    const reaction = inboundMessagePayload({ type: 'REACTION', text: '❤️' }).results[0] as RawResult & {
      message: { context: { id: string } };
    };
    const location = inboundMessagePayload({ type: 'LOCATION' }).results[0] as RawResult;
    const [seen] = (seenReportPayload({ messageId: 'm-2' }) as { results: RawResult[] }).results;

    expect(toMessageEvent(reaction).reaction).toEqual({ emoji: '❤️', action: 'ADDED', messageId: reaction.message.context.id });
    expect(toMessageEvent(location)).toMatchObject({ location: { url: expect.any(String) } });
    expect(toMessageEvent(location)).not.toHaveProperty('media');
    expect(toReportEvent(seen!)).toMatchObject({ event: 'seen', messageId: 'm-2', seenAt: expect.stringMatching(INFOBIP_TIME) });
  });

  it('merges extra over the result, and extra.message over the generated message', () => {
    const result = inboundMessagePayload({
      type: 'IMAGE',
      extra: { callbackData: 'cb', message: { caption: 'changed' } },
    }).results[0] as Record<string, unknown>;

    expect(result.callbackData).toBe('cb');
    expect(result.message).toEqual({ type: 'IMAGE', url: expect.any(String), caption: 'changed' });
  });

  it('builds a seen report in OMNI’s SeenReport shape: sendAt, not sentAt, and the contact', () => {
    expect(seenReportPayload({ messageId: 'm-1' })).toEqual({
      results: [
        {
          messageId: 'm-1',
          from: '44123456789',
          to: '39123456789',
          sendAt: expect.stringMatching(INFOBIP_TIME),
          seenAt: expect.stringMatching(INFOBIP_TIME),
          contact: { phoneNumber: '39123456789' },
        },
      ],
    });
  });

  it('posts a webhook as JSON with the given auth and returns the answer', async () => {
    const receiver = await startRecorder((_, res) => res.writeHead(503).end('try later'));
    try {
      const body = inboundMessagePayload({});
      const answer = await postWebhook(`${receiver.url}/imchannel/onMessage`, body, {
        basic: { username: 'u', password: 'p' },
        header: { name: 'X-Key', value: 'v' },
      });

      expect(answer).toEqual({ status: 503, body: 'try later' });
      const posted = receiver.requests[0]!;
      expect(posted.method).toBe('POST');
      expect(posted.headers.authorization).toBe(`Basic ${Buffer.from('u:p').toString('base64')}`);
      expect(posted.headers['x-key']).toBe('v');
      expect(posted.headers['content-type']).toBe('application/json');
      expect(JSON.parse(posted.body)).toEqual(body);
    } finally {
      await receiver.close();
    }
  });

  it('posts without auth headers when none are given', async () => {
    const receiver = await startRecorder((_, res) => res.end('ok'));
    try {
      await postWebhook(receiver.url, { results: [] });

      expect(receiver.requests[0]?.headers.authorization).toBeUndefined();
    } finally {
      await receiver.close();
    }
  });
});
