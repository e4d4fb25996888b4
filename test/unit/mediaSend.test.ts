import { createHash, randomBytes } from 'node:crypto';
import { createInfobipClient } from '../../lib/infobip';
import { createLogger } from '../../lib/log';
import { MEDIA_KINDS, MEDIA_KIND_NAMES, type MediaKind } from '../../lib/media';
import { decodeEntry } from '../../lib/mediaFormat';
import { makeSendMediaHandler, mediaMaxBodyBytes } from '../../lib/mediaSend';
import { apiEvent, captureLines, lambdaContext } from '../support/lambda';
import { fakeMediaStore } from '../support/mediaStoreFake';
import omniSendResponse from '../../../shared/fixtures/infobip-omni-send.response.json';
import omniImageRequest from '../../../shared/fixtures/infobip-omni-send-image.request.json';
import omniError from '../../../shared/fixtures/infobip-omni-error.response.json';

const TOKEN = 'ctlive-token-0123456789';
const API_KEY = 'infobip-key-abcdef0123456789';
const BASE_URL = 'https://xxxx.api.infobip.com';
const PUBLIC_URL = 'https://siotunnel.ei.eilabonline.biz/tenantname/imchannel';
const MAX_BYTES = 3000;
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/;

const TYPES: Record<MediaKind, string> = {
  image: 'image/png',
  document: 'application/pdf',
  audio: 'audio/ogg; codecs=opus',
  video: 'video/mp4',
};

interface Call {
  url: string;
  init: RequestInit;
}

function setup(kind: MediaKind, answer: (call: Call) => Promise<Response> | Response = ok) {
  const fake = fakeMediaStore();
  const calls: Call[] = [];
  const fakeFetch = (async (url: string, init: RequestInit) => {
    const call = { url, init };
    calls.push(call);
    // What Infobip would find if it fetched the URL right now.
    fake.calls.push(`infobip called with ${fake.values.size} stored`);
    return answer(call);
  }) as unknown as typeof fetch;
  const { lines, sink } = captureLines();
  const tag = MEDIA_KINDS[kind].sendTag;
  const log = createLogger(tag, { format: 'text', level: 'INFO', sink, secrets: [TOKEN] });
  const handler = makeSendMediaHandler(MEDIA_KINDS[kind], {
    log,
    infobip: createInfobipClient({ timeoutMs: 200, fetch: fakeFetch }),
    infobipConfig: { defaults: {}, allowedHosts: ['*.api.infobip.com'], timeoutMs: 200 },
    publicUrl: PUBLIC_URL,
    ctliveApiToken: TOKEN,
    store: fake.store,
    media: { ttlSeconds: 86_400, fetchTtlSeconds: 60, maxBytes: MAX_BYTES },
  });
  const send = async (body: unknown, headers: Record<string, string> = { authorization: `Bearer ${TOKEN}` }, raw = false) => {
    const result = await handler(apiEvent({ body, headers, rawBody: raw }), lambdaContext(tag));
    return { status: result.statusCode, body: JSON.parse(String(result.body)) };
  };
  const sentWhatsApp = () => JSON.parse(String(calls[0]?.init.body)).whatsApp as Record<string, string>;
  return { ...fake, infobipCalls: calls, lines, send, sentWhatsApp };
}

const ok = () => new Response(JSON.stringify(omniSendResponse), { status: 200 });
const file = randomBytes(1501); // not a multiple of 3: its base64 ends in padding
const bodyFor = (kind: MediaKind, extra: Record<string, unknown> = {}) => ({
  to: '39123456789',
  fileName: 'NFO_resized.jpg',
  contentType: TYPES[kind],
  content: file.toString('base64'),
  infobip: { baseUrl: BASE_URL, apiKey: API_KEY, scenarioKey: 'a8b1bf3c-492e-4d5e-a467-62450f3469d8' },
  ...extra,
});

describe.each(MEDIA_KIND_NAMES)('send %s', (kind) => {
  const spec = MEDIA_KINDS[kind];

  it('stores the file before calling Infobip, sends its URL, and answers with mediaId and mediaUrl', async () => {
    const { values, calls, send, infobipCalls } = setup(kind);

    const res = await send(bodyFor(kind));

    expect(res.status).toBe(200);
    const { mediaId } = res.body;
    expect(mediaId).toMatch(UUID);
    expect(res.body).toEqual({
      messageId: '6920cb18-8b18-4172-9de7-514e2aac9ef1',
      to: '39123456789',
      status: omniSendResponse.messages[0]?.status,
      mediaId,
      mediaUrl: `${PUBLIC_URL}/${spec.route}/${mediaId}`,
    });
    expect(calls).toEqual([`put ${mediaId} 86400`, 'infobip called with 1 stored']);
    expect(infobipCalls).toHaveLength(1);
    const stored = decodeEntry(values.get(mediaId)?.value ?? '');
    expect(stored).toEqual({ kind, contentType: TYPES[kind], fileName: 'NFO_resized.jpg', content: file.toString('base64') });
    expect(createHash('sha256').update(Buffer.from(stored?.content ?? '', 'base64')).digest('hex')).toBe(
      createHash('sha256').update(file).digest('hex'),
    );
  });

  it(`puts the URL in the whatsApp field of the kind${kind === 'audio' ? ', without text' : ', with the caption or the file name as text'}`, async () => {
    const plain = setup(kind);
    const captioned = setup(kind);
    const emptyCaption = setup(kind);

    const r1 = await plain.send(bodyFor(kind));
    const r2 = await captioned.send(bodyFor(kind, { caption: 'Look at this' }));
    await emptyCaption.send(bodyFor(kind, { caption: '' }));

    const field = { image: 'imageUrl', document: 'fileUrl', audio: 'audioUrl', video: 'videoUrl' }[kind];
    const expected = (text: string, url: string) => (kind === 'audio' ? { [field]: url } : { text, [field]: url });
    expect(plain.sentWhatsApp()).toEqual(expected('NFO_resized.jpg', r1.body.mediaUrl));
    expect(captioned.sentWhatsApp()).toEqual(expected('Look at this', r2.body.mediaUrl));
    expect(emptyCaption.sentWhatsApp().text).toBe(kind === 'audio' ? undefined : 'NFO_resized.jpg');
  });

  it('answers 415 for a type another kind allows, and stores and sends nothing', async () => {
    const other = kind === 'image' ? 'application/pdf' : 'image/png';
    const { calls, send } = setup(kind);

    const res = await send(bodyFor(kind, { contentType: other }));

    expect(res.status).toBe(415);
    expect(res.body.error).toMatchObject({ code: 'UNSUPPORTED_MEDIA_TYPE', allowed: [...spec.contentTypes] });
    expect(calls).toEqual([]);
  });
});

describe('send: the runbook lines', () => {
  it('logs exactly the request and response lines, tagged with the function', async () => {
    const { lines, send, sentWhatsApp } = setup('image');

    const res = await send(bodyFor('image'));

    const payload = { ...omniImageRequest, whatsApp: sentWhatsApp(), notifyUrl: `${PUBLIC_URL}/onDeliveryReport` };
    expect(payload.whatsApp).toEqual({ text: 'NFO_resized.jpg', imageUrl: res.body.mediaUrl });
    expect(lines).toEqual([
      `[IMCHANNEL] [sendWhatsAppImageMessage] request to [${BASE_URL}/omni/1/advanced] Data [${JSON.stringify(payload)}] with api key header`,
      `[IMCHANNEL] [sendWhatsAppImageMessage] response of [${BASE_URL}/omni/1/advanced]: ${JSON.stringify(omniSendResponse)}`,
    ]);
  });
});

describe('send: bad input stores nothing and calls nobody', () => {
  const b64 = file.toString('base64');
  it.each([
    ['empty content', { content: '' }, 'content'],
    ['content that is not base64', { content: 'not base64!' }, 'content'],
    ['base64 without its padding', { content: b64.replace(/=+$/, '') }, 'content'],
    ['base64 with a line break', { content: `${b64.slice(0, 76)}\n${b64.slice(76)}` }, 'content'],
    ['URL-safe base64', { content: randomBytes(300).toString('base64url').padEnd(400, 'A').replace(/^./, '-') }, 'content'],
    ['content that is a number', { content: 12 }, 'content'],
    ['no fileName', { fileName: undefined }, 'fileName'],
    ['an empty fileName', { fileName: '' }, 'fileName'],
    ['a blank fileName', { fileName: '   ' }, 'fileName'],
    ['a fileName of 241 characters', { fileName: `${'x'.repeat(237)}.png` }, 'fileName'],
    ['no contentType', { contentType: undefined }, 'contentType'],
    ['a bad number', { to: '12ab' }, 'to'],
  ])('400 for %s', async (_name, extra, path) => {
    const { calls, send } = setup('image');
    const res = await send(bodyFor('image', extra));
    expect(res.status).toBe(400);
    expect(res.body.error.code).toBe('VALIDATION_FAILED');
    expect(res.body.error.details).toEqual(expect.arrayContaining([expect.objectContaining({ path })]));
    expect(calls).toEqual([]);
  });

  it('accepts a fileName of exactly 240 characters', async () => {
    const { send } = setup('image');
    expect((await send(bodyFor('image', { fileName: `${'x'.repeat(236)}.png` }))).status).toBe(200);
  });

  it('answers 413 for a file one byte over MEDIA_MAX_BYTES, and 200 for one of exactly that size', async () => {
    const over = setup('document');
    const exact = setup('document');

    const r1 = await over.send(bodyFor('document', { content: randomBytes(MAX_BYTES + 1).toString('base64') }));
    const r2 = await exact.send(bodyFor('document', { content: randomBytes(MAX_BYTES).toString('base64') }));

    expect(r1.status).toBe(413);
    expect(r1.body.error).toMatchObject({ code: 'PAYLOAD_TOO_LARGE', limitBytes: MAX_BYTES });
    expect(over.calls).toEqual([]);
    expect(r2.status).toBe(200);
  });

  it('lets the largest valid request through the body limit, and refuses one byte more', async () => {
    // Every text field at its limit, in characters that JSON writes as six-byte escapes.
    const escaped = (n: number) => '\u0001'.repeat(n);
    const body = {
      ...bodyFor('image', { content: randomBytes(MAX_BYTES).toString('base64') }),
      fileName: escaped(240),
      caption: escaped(4096),
      callbackData: escaped(4000),
      messageId: 'm'.repeat(200),
    };
    const json = JSON.stringify(body);
    const limit = mediaMaxBodyBytes(MAX_BYTES);
    expect(Buffer.byteLength(json)).toBeLessThan(limit);
    const { send } = setup('image');

    const fits = await send(json, { authorization: `Bearer ${TOKEN}` }, true);
    const tooBig = await send(json + ' '.repeat(limit + 1 - Buffer.byteLength(json)), { authorization: `Bearer ${TOKEN}` }, true);

    expect(fits.status).toBe(200);
    expect(tooBig.status).toBe(413);
  });

  it('answers 401 before reading the body', async () => {
    const { calls, send } = setup('image');
    const res = await send('not even json', { authorization: 'Bearer wrong' }, true);
    expect(res.status).toBe(401);
    expect(calls).toEqual([]);
  });

  it('answers 400 when the Infobip settings are incomplete, before storing anything', async () => {
    const { calls, send } = setup('image');
    const res = await send(bodyFor('image', { infobip: { baseUrl: BASE_URL } }));
    expect(res.status).toBe(400);
    expect(calls).toEqual([]);
  });
});

describe('send: failures', () => {
  it('answers 503 and does not call Infobip when Redis is down', async () => {
    const { setDown, send, infobipCalls } = setup('video');
    setDown(true);
    const res = await send(bodyFor('video'));
    expect(res.status).toBe(503);
    expect(res.body.error.code).toBe('REDIS_UNAVAILABLE');
    expect(infobipCalls).toHaveLength(0);
  });

  it('answers 502 and deletes the stored file when Infobip refuses the message', async () => {
    const { values, calls, send } = setup('image', () => new Response(JSON.stringify(omniError), { status: 400 }));
    const res = await send(bodyFor('image'));
    expect(res.status).toBe(502);
    expect(res.body.error).toMatchObject({ code: 'INFOBIP_ERROR', upstreamStatus: 400 });
    expect(calls.at(-1)).toMatch(/^remove /);
    expect(values.size).toBe(0);
  });

  it('still answers 502 when the file cannot be deleted, and says so in the log', async () => {
    const fake = setup('image', () => {
      fake.setDown(true);
      return new Response(JSON.stringify(omniError), { status: 400 });
    });
    const res = await fake.send(bodyFor('image', { messageId: 'm-9' }));
    expect(res.status).toBe(502);
    expect(fake.lines.join('\n')).toContain('Could not delete the file of a refused message (messageId [m-9])');
  });

  it('keeps the file when Infobip times out, since Infobip may still fetch it', async () => {
    const { values, send } = setup('image', (call) =>
      new Promise<Response>((_resolve, reject) =>
        call.init.signal?.addEventListener('abort', () => reject(call.init.signal?.reason)),
      ),
    );
    const res = await send(bodyFor('image'));
    expect(res.status).toBe(504);
    expect(values.size).toBe(1);
  });

  it('never logs the file content, the API key or the token, whatever happens', async () => {
    const marked = Buffer.concat([Buffer.from('SECRET-FILE-CONTENT-'.repeat(20)), file]).toString('base64');
    const refusing = setup('image', () => new Response(JSON.stringify(omniError), { status: 400 }));
    const accepting = setup('image');
    await accepting.send(bodyFor('image', { content: marked }));
    await refusing.send(bodyFor('image', { content: marked }));
    await refusing.send(bodyFor('image', { content: `${marked}!` }));
    await refusing.send(bodyFor('image', { content: marked, contentType: 'image/gif' }));
    const all = [...accepting.lines, ...refusing.lines].join('\n');
    expect(refusing.lines.length).toBeGreaterThan(3);
    expect(all).not.toContain(marked.slice(40, 80));
    expect(all).not.toContain('SECRET-FILE-CONTENT');
    expect(all).not.toContain(API_KEY);
    expect(all).not.toContain(TOKEN);
  });
});
