import { randomBytes } from 'node:crypto';
import { memoryIdempotency } from '../support/idempotencyFake';
import { ConfigError } from '../../lib/platform/config';
import { CAPTION_MAX, MEDIA_URL_MAX, makeSendMediaHandler, mediaMaxBodyBytes } from '../../lib/media/send';
import { MEDIA_KINDS } from '../../lib/media/kinds';
import { createLogger } from '../../lib/platform/log';
import { createInfobipClient } from '../../lib/outbound/infobip';
import { fakeMediaStore } from '../support/mediaStoreFake';
import { BASE_URL, FILES, MAX_BYTES, TOKEN, bodyFor, setupSend as setup } from '../support/mediaSendSetup';
import { sampleFile } from '../support/sampleFile';

describe('send: bad input stores nothing and calls nobody', () => {
  const b64 = FILES.image.toString('base64');
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
    // Infobip's documented caption limit (lib/media/send.ts CAPTION_MAX).
    ['a caption of 3001 characters', { caption: 'c'.repeat(3001) }, 'caption'],
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

    const r1 = await over.send(bodyFor('document', { content: sampleFile('application/pdf', MAX_BYTES + 1).toString('base64') }));
    const r2 = await exact.send(bodyFor('document', { content: sampleFile('application/pdf', MAX_BYTES).toString('base64') }));

    expect(r1.status).toBe(413);
    expect(r1.body.error).toMatchObject({ code: 'PAYLOAD_TOO_LARGE', limitBytes: MAX_BYTES });
    expect(over.calls).toEqual([]);
    expect(r2.status).toBe(200);
  });

  it('lets the largest valid request through the body limit, and refuses one byte more', async () => {
    // Every text field at its limit, in characters that JSON writes as six-byte escapes.
    const escaped = (n: number) => '\u0001'.repeat(n);
    const body = {
      ...bodyFor('image', { content: sampleFile('image/png', MAX_BYTES).toString('base64') }),
      fileName: escaped(240),
      caption: escaped(CAPTION_MAX),
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

describe('send: file URLs Infobip would refuse', () => {
  const handlerWith = (publicUrl: string) =>
    makeSendMediaHandler(MEDIA_KINDS.document, {
      idempotency: memoryIdempotency(),
      log: createLogger('sendWhatsAppDocumentMessage', { format: 'text', level: 'INFO', sink: () => undefined }),
      infobip: createInfobipClient({ timeoutMs: 200 }),
      infobipConfig: { defaults: {}, allowedHosts: ['*.api.infobip.com'], timeoutMs: 200 },
      publicUrl,
      ctliveApiToken: TOKEN,
      store: fakeMediaStore().store,
      media: { ttlSeconds: 60, fetchTtlSeconds: 60, maxBytes: MAX_BYTES },
    });
  const base = 'https://api.example.com/';
  // `/getDocumentMessage/` and a 36-character UUID follow the public URL.
  const fitting = base + 'p'.repeat(MEDIA_URL_MAX - base.length - '/getDocumentMessage/'.length - 36);

  it('refuses to start when IMCHANNEL_PUBLIC_URL makes file URLs longer than 2048 characters', () => {
    expect(() => handlerWith(`${fitting}p`)).toThrow(ConfigError);
    expect(() => handlerWith(`${fitting}p`)).toThrow(/IMCHANNEL_PUBLIC_URL is too long: file URLs would be 2049 characters/);
  });

  it('starts when the file URLs are exactly 2048 characters', () => {
    expect(() => handlerWith(fitting)).not.toThrow();
  });
});

describe('send: refusals that say where to go', () => {
  it('415 for a PDF on the image route names the document route', async () => {
    const { calls, send } = setup('image');
    const res = await send(bodyFor('image', { contentType: 'application/pdf' }));
    expect(res.status).toBe(415);
    expect(res.body.error).toMatchObject({ code: 'UNSUPPORTED_MEDIA_TYPE', route: '/imchannel/sendWhatsAppDocumentMessage' });
    expect(res.body.error.message).toContain('send it with POST /imchannel/sendWhatsAppDocumentMessage');
    expect(calls).toEqual([]);
  });

  it('415 for a type no route takes names no route', async () => {
    const res = await setup('image').send(bodyFor('image', { contentType: 'image/gif' }));
    expect(res.status).toBe(415);
    expect(res.body.error.route).toBeUndefined();
  });

  it('413 for a body over the limit names the file limit', async () => {
    const { send } = setup('document');
    const res = await send(
      bodyFor('document', { content: randomBytes(MAX_BYTES + 4096).toString('base64'), padding: 'x'.repeat(20_000) }),
    );
    expect(res.status).toBe(413);
    expect(res.body.error.message).toContain(`a file may be at most`);
  });
});
