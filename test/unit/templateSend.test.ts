import { createInfobipClient } from '../../lib/outbound/infobip';
import { createLogger } from '../../lib/platform/log';
import { catalogueKey, countPlaceholders, summarise, type Catalogue, type CatalogueCache } from '../../lib/templates/catalogue';
import { makeSendTemplateHandler, templateMaxBodyBytes } from '../../lib/templates/send';
import { memoryIdempotency } from '../support/idempotencyFake';
import { apiEvent, captureLines, lambdaContext } from '../support/lambda';
import { fakeMediaStore } from '../support/mediaStoreFake';
import { sampleFile } from '../support/sampleFile';
import omniSendResponse from '../fixtures/infobip/infobip-omni-send.response.json';

const TOKEN = 'ctlive-token-0123456789';
const API_KEY = 'infobip-key-abcdef0123456789';
const BASE_URL = 'https://xxxx.api.infobip.com';
const PUBLIC_URL = 'https://host.example.com/tenant/imchannel';
const SENDER = '44123456789';

const CATALOGUE: Catalogue = summarise(
  SENDER,
  {
    templates: [
      {
        name: 'order_update',
        language: 'en',
        status: 'APPROVED',
        category: 'UTILITY',
        structure: { body: { text: 'Hi {{1}}, order {{2}}' } },
      },
      {
        name: 'welcome_offer',
        language: 'en',
        status: 'APPROVED',
        category: 'MARKETING',
        structure: {
          header: { format: 'IMAGE' },
          body: { text: 'Hi {{1}}' },
          buttons: [{ type: 'URL', url: 'https://x.example/{{1}}' }],
        },
      },
    ],
  },
  new Date('2025-03-01T10:00:00Z'),
);

function setup(options: { sender?: string; answer?: () => Response } = {}) {
  const calls: { url: string; init: RequestInit }[] = [];
  const fakeFetch = (async (url: string, init: RequestInit) => {
    calls.push({ url, init });
    return (options.answer ?? (() => new Response(JSON.stringify(omniSendResponse), { status: 200 })))();
  }) as unknown as typeof fetch;
  const idempotency = memoryIdempotency();
  const media = fakeMediaStore();
  const cacheReads: string[] = [];
  const cached = new Map<string, Catalogue>();
  const catalogue: CatalogueCache = {
    async get(sender, baseUrl) {
      cacheReads.push(`${sender} ${baseUrl}`);
      return cached.get(catalogueKey(sender, baseUrl));
    },
    async put() {
      throw new Error('a send never writes the catalogue');
    },
  };
  const cache = (value: Catalogue) => {
    cached.set(catalogueKey(SENDER, BASE_URL), value);
    idempotency.others.set(catalogueKey(SENDER, BASE_URL), JSON.stringify(value));
  };
  const { lines, sink } = captureLines();
  const handler = makeSendTemplateHandler({
    idempotency,
    log: createLogger('sendWhatsAppTemplateMessage', { format: 'text', level: 'INFO', sink, secrets: [TOKEN] }),
    infobip: createInfobipClient({ timeoutMs: 200, fetch: fakeFetch }),
    infobipConfig: {
      defaults: {
        baseUrl: BASE_URL,
        apiKey: API_KEY,
        scenarioKey: 'SCENARIO',
        ...(options.sender ? { sender: options.sender } : {}),
      },
      allowedHosts: ['*.api.infobip.com'],
      timeoutMs: 200,
    },
    publicUrl: PUBLIC_URL,
    ctliveApiToken: TOKEN,
    store: media.store,
    media: { ttlSeconds: 86_400, fetchTtlSeconds: 60, maxBytes: 100_000 },
    catalogue,
  });
  const send = async (body: unknown, headers: Record<string, string> = {}) => {
    const res = await handler(
      apiEvent({ body, headers: { authorization: `Bearer ${TOKEN}`, ...headers } }),
      lambdaContext('sendWhatsAppTemplateMessage'),
    );
    return { status: res.statusCode, body: JSON.parse(String(res.body)) };
  };
  const whatsApp = () => JSON.parse(String(calls[0]?.init.body)).whatsApp as unknown;
  return { send, calls, whatsApp, media, cacheReads, cache, lines };
}

const base = { to: '+39123456789', templateName: 'order_update', language: 'en', placeholders: ['Ada', 'A-17'] };

describe('sendWhatsAppTemplateMessage: the OMNI whatsApp object', () => {
  it('without header and buttons is templateName, templateNamespace, templateData, language', async () => {
    const t = setup();
    const res = await t.send({ ...base, templateNamespace: 'ns_1' });
    expect(res.status).toBe(200);
    expect(t.whatsApp()).toEqual({
      templateName: 'order_update',
      templateNamespace: 'ns_1',
      templateData: ['Ada', 'A-17'],
      language: 'en',
    });
  });

  it('without placeholders sends an empty templateData', async () => {
    const t = setup();
    await t.send({ to: '39123456789', templateName: 'hello', language: 'en_GB' });
    expect(t.whatsApp()).toEqual({ templateName: 'hello', templateData: [], language: 'en_GB' });
  });

  it.each([
    [{ type: 'TEXT', text: 'T-9' }, { textPlaceholder: 'T-9' }],
    [{ type: 'IMAGE', url: 'https://cdn.example.com/a.png' }, { imageUrl: 'https://cdn.example.com/a.png' }],
    [{ type: 'VIDEO', url: 'https://cdn.example.com/a.mp4' }, { videoUrl: 'https://cdn.example.com/a.mp4' }],
    [
      { type: 'DOCUMENT', url: 'https://cdn.example.com/a.pdf', fileName: 'a.pdf' },
      { documentUrl: 'https://cdn.example.com/a.pdf', documentFilename: 'a.pdf' },
    ],
    [
      { type: 'LOCATION', latitude: -33.86, longitude: 151.2 },
      { latitude: -33.86, longitude: 151.2 },
    ],
  ])('a %j header becomes mediaTemplateData.header %j', async (header, omniHeader) => {
    const t = setup();
    const res = await t.send({ ...base, header });
    expect(res.status).toBe(200);
    expect(t.whatsApp()).toEqual({
      templateName: 'order_update',
      mediaTemplateData: { header: omniHeader, body: { placeholders: ['Ada', 'A-17'] } },
      language: 'en',
    });
  });

  it('buttons alone make a media template, each as quickReplyPayload or urlPlaceholder', async () => {
    const t = setup();
    await t.send({
      ...base,
      buttons: [
        { type: 'QUICK_REPLY', payload: 'yes' },
        { type: 'URL', parameter: 'abc' },
      ],
    });
    expect(t.whatsApp()).toEqual({
      templateName: 'order_update',
      mediaTemplateData: {
        body: { placeholders: ['Ada', 'A-17'] },
        buttons: [{ quickReplyPayload: 'yes' }, { urlPlaceholder: 'abc' }],
      },
      language: 'en',
    });
  });

  it('a header file is parked under its kind before Infobip is called, and its URL is the fetch route', async () => {
    const t = setup();
    const bytes = sampleFile('application/pdf', 3000);
    const res = await t.send({
      ...base,
      header: { type: 'DOCUMENT', content: bytes.toString('base64'), contentType: 'application/pdf', fileName: 'inv.pdf' },
    });
    expect(res.status).toBe(200);
    const mediaId = String(res.body.mediaId);
    expect(res.body.mediaUrl).toBe(`${PUBLIC_URL}/getDocumentMessage/${mediaId}`);
    expect(t.media.calls).toEqual([`put ${mediaId} 86400`]);
    expect(JSON.parse(String(t.media.values.get(mediaId)?.value))).toMatchObject({ kind: 'document', fileName: 'inv.pdf' });
    expect(t.whatsApp()).toMatchObject({
      mediaTemplateData: { header: { documentUrl: res.body.mediaUrl, documentFilename: 'inv.pdf' } },
    });
  });

  it('a refused send forgets the parked file', async () => {
    const t = setup({ answer: () => new Response('{"requestError":{"serviceException":{"text":"Bad"}}}', { status: 400 }) });
    const bytes = sampleFile('image/png', 500);
    const res = await t.send({
      ...base,
      header: { type: 'IMAGE', content: bytes.toString('base64'), contentType: 'image/png', fileName: 'a.png' },
    });
    expect(res.status).toBe(502);
    expect(t.media.values.size).toBe(0);
    expect(t.media.calls.map((call) => call.split(' ')[0])).toEqual(['put', 'remove']);
  });
});

describe('sendWhatsAppTemplateMessage: bad input is a 400 that says how to fix it, and nothing is sent', () => {
  it.each([
    ['no template name', { ...base, templateName: undefined }, 'templateName'],
    ['a blank template name', { ...base, templateName: '   ' }, 'templateName'],
    ['a language that is no code', { ...base, language: 'English' }, 'language'],
    ['an empty placeholder', { ...base, placeholders: ['Ada', ''] }, 'placeholders.1'],
    ['a header of an unknown type', { ...base, header: { type: 'AUDIO', url: 'https://a.example/x' } }, 'header.type'],
    ['a header with a misspelt field', { ...base, header: { type: 'TEXT', txt: 'x' } }, 'header'],
    ['a latitude out of range', { ...base, header: { type: 'LOCATION', latitude: 91, longitude: 0 } }, 'header.latitude'],
    ['a header URL that is not http(s)', { ...base, header: { type: 'IMAGE', url: 'ftp://a.example/x.png' } }, 'header.url'],
    ['a media header with neither url nor content', { ...base, header: { type: 'VIDEO' } }, 'header'],
    [
      'a DOCUMENT header without a file name',
      { ...base, header: { type: 'DOCUMENT', url: 'https://a.example/x.pdf' } },
      'header.fileName',
    ],
    [
      'content without its type',
      { ...base, header: { type: 'IMAGE', content: 'iVBORw0KGgo=', fileName: 'a.png' } },
      'header.contentType',
    ],
    ['a button of an unknown type', { ...base, buttons: [{ type: 'CALL', payload: 'x' }] }, 'buttons.0.type'],
    [
      'a quick reply payload over 128',
      { ...base, buttons: [{ type: 'QUICK_REPLY', payload: 'x'.repeat(129) }] },
      'buttons.0.payload',
    ],
    [
      'eleven buttons',
      { ...base, buttons: Array.from({ length: 11 }, () => ({ type: 'QUICK_REPLY', payload: 'x' })) },
      'buttons',
    ],
  ])('%s', async (_why, body, path) => {
    const t = setup();
    const res = await t.send(body);
    expect(res.status).toBe(400);
    expect(res.body.error).toMatchObject({ code: 'VALIDATION_FAILED', retryable: false });
    expect(res.body.error.details.map((d: { path: string }) => d.path)).toContain(path);
    expect(t.calls).toHaveLength(0);
  });

  it('a header file of a type its kind does not take is a 415, parked nowhere', async () => {
    const t = setup();
    const res = await t.send({
      ...base,
      header: { type: 'IMAGE', content: 'R0lGODlh', contentType: 'image/gif', fileName: 'a.gif' },
    });
    expect(res.status).toBe(415);
    expect(t.media.calls).toEqual([]);
  });

  it("a text file in a document header is a 415: OMNI's template header takes PDF, DOC(X), PPT(X), XLS(X) only", async () => {
    const t = setup();
    const res = await t.send({
      ...base,
      header: { type: 'DOCUMENT', content: 'aGVsbG8=', contentType: 'text/plain', fileName: 'a.txt' },
    });
    expect(res.status).toBe(415);
    expect(res.body.error.allowed).toContain('application/pdf');
    expect(res.body.error.allowed).not.toContain('text/plain');
    expect(t.media.calls).toEqual([]);
  });

  it('a header file over MEDIA_MAX_BYTES is a 413 that names the limit', async () => {
    const t = setup();
    const bytes = sampleFile('image/png', 100_001);
    const res = await t.send({
      ...base,
      header: { type: 'IMAGE', content: bytes.toString('base64'), contentType: 'image/png', fileName: 'a.png' },
    });
    expect(res.status).toBe(413);
    expect(res.body.error.message).toContain('MEDIA_MAX_BYTES');
  });

  it('the body limit leaves room for a largest file and every other field at its limit', () => {
    expect(templateMaxBodyBytes(4 * 1024 * 1024)).toBeGreaterThan(4 * Math.ceil((4 * 1024 * 1024) / 3) + 100 * 1024);
  });
});

describe('sendWhatsAppTemplateMessage: the cached catalogue', () => {
  it('refuses a placeholder count that does not match, without calling Infobip', async () => {
    const t = setup({ sender: SENDER });
    t.cache(CATALOGUE);
    const res = await t.send({ ...base, placeholders: ['Ada'] });
    expect(res.status).toBe(400);
    expect(res.body.error).toMatchObject({ code: 'TEMPLATE_PLACEHOLDERS_MISMATCH', expected: 2, given: 1, retryable: false });
    expect(t.calls).toHaveLength(0);
  });

  it('under an Idempotency-Key, reads it in the claim: no Redis call of its own', async () => {
    const t = setup({ sender: SENDER });
    t.cache(CATALOGUE);
    const refused = await t.send({ ...base, templateName: 'nope' }, { 'idempotency-key': 'k-1' });
    const sent = await t.send(base, { 'idempotency-key': 'k-2' });
    expect(refused.body.error.code).toBe('TEMPLATE_UNKNOWN');
    expect(sent.status).toBe(200);
    expect(t.cacheReads).toEqual([]);
  });

  it('without a key, reads it with one GET of its own', async () => {
    const t = setup({ sender: SENDER });
    t.cache(CATALOGUE);
    const res = await t.send({ ...base, language: 'es' });
    expect(res.body.error).toMatchObject({ code: 'TEMPLATE_LANGUAGE_UNKNOWN', languages: ['en'] });
    expect(t.cacheReads).toEqual([`${SENDER} ${BASE_URL}`]);
  });

  it('refuses a template whose media header is left out', async () => {
    const t = setup({ sender: SENDER });
    t.cache(CATALOGUE);
    const res = await t.send({ ...base, templateName: 'welcome_offer', placeholders: ['Ada'] });
    expect(res.body.error).toMatchObject({ code: 'TEMPLATE_HEADER_MISMATCH', expected: 'IMAGE', given: null });
  });

  it('with no sender known, checks nothing and reads nothing', async () => {
    const t = setup();
    t.cache(CATALOGUE);
    const res = await t.send({ ...base, placeholders: ['one'] });
    expect(res.status).toBe(200);
    expect(t.cacheReads).toEqual([]);
  });

  it('uncached, lets Infobip judge and says so in the log', async () => {
    const t = setup({ sender: SENDER });
    const res = await t.send({ ...base, placeholders: ['one'] });
    expect(res.status).toBe(200);
    expect(t.lines.join('\n')).toContain(`No cached catalogue for sender [${SENDER}]`);
  });
});

describe('the catalogue summary', () => {
  it('counts each placeholder once, numbered or named', () => {
    expect(countPlaceholders('Hi {{1}}, {{2}} and {{1}} again')).toBe(2);
    expect(countPlaceholders('Hi {{ name }}, order {{order_id}}')).toBe(2);
    expect(countPlaceholders('no placeholder, {single} braces')).toBe(0);
    expect(countPlaceholders(undefined)).toBe(0);
  });

  it('gives per component the placeholders and the button kinds', () => {
    expect(CATALOGUE.templates[1]).toEqual({
      name: 'welcome_offer',
      language: 'en',
      category: 'MARKETING',
      status: 'APPROVED',
      header: { format: 'IMAGE', placeholders: 0 },
      body: { placeholders: 1 },
      buttons: [{ type: 'URL', placeholders: 1 }],
    });
  });
});
