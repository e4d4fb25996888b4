/**
 * The sandbox's WhatsApp API sends (tools/infobipSandbox/whatsapp/) over real HTTP: text,
 * media, sticker, location, contact and template bodies as Infobip's published OpenAPI
 * specification (v3.210.0) defines them are taken and answered as `SingleMessageInfo` /
 * `BulkMessageInfo`; each broken limit is a 400 `ApiException` naming the field; the file is
 * fetched HEAD then GET and the report posted to notifyUrl as a `DeliveryResult`.
 */
import { startInfobipSandbox, type InfobipSandbox } from '../../tools/infobipSandbox';
import { errorsOf, postWhatsApp, SENDER, startFileHost, WA_API_KEY, webp } from '../support/whatsAppSandbox';

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/;
const INFOBIP_TIME = /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}\+0000$/;
const PENDING = {
  groupId: 1,
  groupName: 'PENDING',
  id: 7,
  name: 'PENDING_ENROUTE',
  description: 'Message sent to next instance',
};
const PNG = Buffer.from('89504e470d0a1a0a0000000d49484452', 'hex');

let sandbox: InfobipSandbox;
let host: Awaited<ReturnType<typeof startFileHost>>;
const logLines: string[] = [];

beforeAll(async () => {
  host = await startFileHost({
    '/photo.png': { type: 'image/png', bytes: PNG },
    '/offer.pdf': { type: 'application/pdf', bytes: Buffer.from('%PDF-1.4 offer') },
    '/voice.ogg': { type: 'audio/ogg; codecs=opus', bytes: Buffer.from('OggS voice') },
    '/clip.mp4': { type: 'video/mp4', bytes: Buffer.from('mp4 clip') },
    '/small.webp': { type: 'image/webp', bytes: webp(2_000, false) },
    '/big-static.webp': { type: 'image/webp', bytes: webp(150 * 1024, false) },
    '/big-animated.webp': { type: 'image/webp', bytes: webp(150 * 1024, true) },
    '/sticker.png': { type: 'image/png', bytes: PNG },
  });
  sandbox = await startInfobipSandbox({
    apiKey: WA_API_KEY,
    followUpDelayMs: 0,
    reportBatchWindowMs: 0,
    templates: undefined,
    log: (line) => logLines.push(line),
  });
});
afterAll(async () => {
  await sandbox.close();
  await host.close();
});
beforeEach(() => {
  sandbox.reset();
  host.hits.length = 0;
  logLines.length = 0;
});

const envelope = (content: unknown, extra: Record<string, unknown> = {}) => ({
  from: SENDER,
  to: '39123456789',
  content,
  ...extra,
});
const VALID: [string, unknown][] = [
  ['text', { text: 'Hello', previewUrl: false }],
  ['image', { mediaUrl: 'https://example.com/a.png', caption: 'A picture' }],
  ['document', { mediaUrl: 'https://example.com/a.pdf', caption: 'Offer', filename: 'Offer.pdf' }],
  ['audio', { mediaUrl: 'https://example.com/a.ogg', voice: true }],
  ['video', { mediaUrl: 'https://example.com/a.mp4', caption: 'Clip' }],
  ['sticker', { mediaUrl: 'https://example.com/a.webp' }],
  ['location', { latitude: 45.46, longitude: 9.19, name: 'Duomo', address: 'Piazza del Duomo' }],
  [
    'contact',
    { contacts: [{ name: { firstName: 'Mario', formattedName: 'Mario Rossi' }, phones: [{ phone: '+39 02 1', type: 'WORK' }] }] },
  ],
];

describe('WhatsApp API sends: what Infobip takes', () => {
  let noFetch: InfobipSandbox;
  beforeAll(async () => {
    noFetch = await startInfobipSandbox({ apiKey: WA_API_KEY, fetchMedia: false, deliveryReports: false });
  });
  afterAll(() => noFetch.close());

  it.each(VALID)('takes a %s message and answers SingleMessageInfo with a fresh messageId', async (kind, content) => {
    const res = await postWhatsApp(noFetch, `/whatsapp/1/message/${kind}`, envelope(content));

    expect(res.status).toBe(200);
    expect(res.json).toEqual({ to: '39123456789', messageCount: 1, messageId: expect.stringMatching(UUID), status: PENDING });
    expect(noFetch.accepted.at(-1)).toEqual(expect.objectContaining({ messageId: res.json.messageId, to: '39123456789' }));
  });

  it('answers with the request’s own messageId, and takes every optional field of TextMessage', async () => {
    const res = await postWhatsApp(
      noFetch,
      '/whatsapp/1/message/text',
      envelope(
        { text: 'Hi' },
        {
          messageId: 'my-id-1',
          callbackData: 'cb',
          notifyUrl: 'https://example.com/r',
          urlOptions: {
            shortenUrl: false,
            trackClicks: false,
            trackingUrl: 'https://t',
            removeProtocol: true,
            customDomain: 'x.io',
          },
          entityId: 'e',
          applicationId: 'a',
          context: { replyToMessageId: 'wamid.ABC=' },
        },
      ),
    );

    expect(res.status).toBe(200);
    expect(res.json.messageId).toBe('my-id-1');
  });

  it('takes a business-scoped user id as to', async () => {
    const res = await postWhatsApp(noFetch, '/whatsapp/1/message/text', {
      ...envelope({ text: 'Hi' }),
      to: 'US.1349120865530274191',
    });

    expect(res.status).toBe(200);
    expect(res.json.to).toBe('US.1349120865530274191');
  });

  it('takes a message from a sender that has a template catalogue, not only from the scenario sender', async () => {
    noFetch.setTemplates('441134960000', []);

    const res = await postWhatsApp(noFetch, '/whatsapp/1/message/text', { ...envelope({ text: 'Hi' }), from: '441134960000' });

    expect(res.status).toBe(200);
  });
});

describe('WhatsApp API sends: what Infobip refuses', () => {
  beforeEach(() => sandbox.expectSchemaRefusals());

  it.each<[string, string, unknown, string]>([
    ['text over 4096', 'text', envelope({ text: 'x'.repeat(4097) }), 'content.text'],
    ['empty text', 'text', envelope({ text: '' }), 'content.text'],
    ['no content', 'text', { from: SENDER, to: '39123456789' }, 'content'],
    ['no from', 'text', { to: '39123456789', content: { text: 'x' } }, 'from'],
    ['from over 24', 'text', { ...envelope({ text: 'x' }), from: '1'.repeat(25) }, 'from'],
    ['to over 150', 'text', { ...envelope({ text: 'x' }), to: '1'.repeat(151) }, 'to'],
    ['empty to', 'text', { ...envelope({ text: 'x' }), to: '' }, 'to'],
    ['a to that is neither digits nor a user id', 'text', { ...envelope({ text: 'x' }), to: '+39 123' }, 'to'],
    ['messageId over 200', 'text', envelope({ text: 'x' }, { messageId: 'm'.repeat(201) }), 'messageId'],
    ['callbackData over 4000', 'text', envelope({ text: 'x' }, { callbackData: 'c'.repeat(4001) }), 'callbackData'],
    ['notifyUrl over 2048', 'text', envelope({ text: 'x' }, { notifyUrl: `https://e.com/${'u'.repeat(2040)}` }), 'notifyUrl'],
    ['entityId over 255', 'text', envelope({ text: 'x' }, { entityId: 'e'.repeat(256) }), 'entityId'],
    ['applicationId over 255', 'text', envelope({ text: 'x' }, { applicationId: 'a'.repeat(256) }), 'applicationId'],
    ['context without replyToMessageId', 'text', envelope({ text: 'x' }, { context: {} }), 'context.replyToMessageId'],
    ['previewUrl as a string', 'text', envelope({ text: 'x', previewUrl: 'yes' }), 'content.previewUrl'],
    ['an unknown top-level field', 'text', envelope({ text: 'x' }, { scenarioKey: 'K' }), 'scenarioKey'],
    ['an unknown content field', 'text', envelope({ text: 'x', caption: 'c' }), 'content.caption'],
    ['an image without mediaUrl', 'image', envelope({ caption: 'c' }), 'content.mediaUrl'],
    ['a mediaUrl over 2048', 'image', envelope({ mediaUrl: `https://e.com/${'p'.repeat(2040)}` }), 'content.mediaUrl'],
    ['a caption over 3000', 'video', envelope({ mediaUrl: 'https://e.com/v.mp4', caption: 'c'.repeat(3001) }), 'content.caption'],
    [
      'a filename over 240',
      'document',
      envelope({ mediaUrl: 'https://e.com/d.pdf', filename: 'f'.repeat(241) }),
      'content.filename',
    ],
    ['urlOptions on audio', 'audio', envelope({ mediaUrl: 'https://e.com/a.ogg' }, { urlOptions: {} }), 'urlOptions'],
    ['a caption on a sticker', 'sticker', envelope({ mediaUrl: 'https://e.com/s.webp', caption: 'c' }), 'content.caption'],
    ['urlOptions on a sticker', 'sticker', envelope({ mediaUrl: 'https://e.com/s.webp' }, { urlOptions: {} }), 'urlOptions'],
    ['a latitude over 90', 'location', envelope({ latitude: 90.1, longitude: 0 }), 'content.latitude'],
    ['a longitude under -180', 'location', envelope({ latitude: 0, longitude: -180.1 }), 'content.longitude'],
    ['a location name over 1000', 'location', envelope({ latitude: 0, longitude: 0, name: 'n'.repeat(1001) }), 'content.name'],
    ['an address over 1000', 'location', envelope({ latitude: 0, longitude: 0, address: 'a'.repeat(1001) }), 'content.address'],
    [
      'a contact without formattedName',
      'contact',
      envelope({ contacts: [{ name: { firstName: 'A' } }] }),
      'content.contacts[0].name.formattedName',
    ],
    [
      'a phone of an unknown type',
      'contact',
      envelope({ contacts: [{ name: { firstName: 'A', formattedName: 'A' }, phones: [{ type: 'FAX' }] }] }),
      'content.contacts[0].phones[0].type',
    ],
  ])('refuses %s with a 400 ApiException naming the field', async (_label, kind, body, field) => {
    const res = await postWhatsApp(sandbox, `/whatsapp/1/message/${kind}`, body);

    expect(res.status).toBe(400);
    expect(res.json.requestError?.serviceException).toEqual(
      expect.objectContaining({ messageId: 'BAD_REQUEST', text: 'Bad request', validationErrors: expect.objectContaining({}) }),
    );
    expect(Object.keys(errorsOf(res))).toContain(field);
    expect(sandbox.accepted).toHaveLength(0);
    expect(sandbox.schemaRefusals).toEqual([expect.objectContaining({ method: 'POST', path: `/whatsapp/1/message/${kind}` })]);
  });

  it('refuses a from the account does not have with a 400 naming from, not as a schema refusal', async () => {
    const res = await postWhatsApp(sandbox, '/whatsapp/1/message/text', { ...envelope({ text: 'x' }), from: '441134960000' });

    expect(res.status).toBe(400);
    expect(errorsOf(res)).toEqual({ from: ['is not a WhatsApp sender of this account: 441134960000'] });
    expect(sandbox.schemaRefusals).toHaveLength(0);
  });

  it('answers 401 without the App key, 404 for an unknown kind, 415 for a body that is not JSON', async () => {
    const unauthorised = await postWhatsApp(sandbox, '/whatsapp/1/message/text', envelope({ text: 'x' }), {
      authorization: 'App nope',
    });
    const unknown = await postWhatsApp(sandbox, '/whatsapp/1/message/hologram', envelope({ text: 'x' }));
    const notJson = await postWhatsApp(sandbox, '/whatsapp/1/message/text', 'text=x', { 'content-type': 'text/plain' });

    expect([unauthorised.status, unknown.status, notJson.status]).toEqual([401, 404, 415]);
    expect(unauthorised.json.requestError?.serviceException.messageId).toBe('UNAUTHORIZED');
    expect(unknown.json.requestError?.serviceException.text).toBe('Requested URL not found: /whatsapp/1/message/hologram');
  });

  it('fails the next call as failNext says, on the WhatsApp API as on OMNI', async () => {
    sandbox.failNext({ status: 503 });

    const failed = await postWhatsApp(sandbox, '/whatsapp/1/message/text', envelope({ text: 'x' }));
    const next = await postWhatsApp(sandbox, '/whatsapp/1/message/text', envelope({ text: 'x' }));

    expect([failed.status, next.status]).toEqual([503, 200]);
    expect(logLines).toContain('[infobip-sandbox] POST /whatsapp/1/message/text (failNext) -> 503');
  });
});

describe('WhatsApp API sends: media fetch and delivery report', () => {
  const report = (messageId: string, extra: Record<string, unknown> = {}) => ({
    price: { pricePerMessage: 0, currency: 'EUR' },
    status: {
      groupId: 3,
      groupName: 'DELIVERED',
      id: 5,
      name: 'DELIVERED_TO_HANDSET',
      description: 'Message delivered to handset',
    },
    error: { groupId: 0, groupName: 'OK', id: 0, name: 'NO_ERROR', description: 'No Error', permanent: false },
    messageId,
    doneAt: expect.stringMatching(INFOBIP_TIME),
    messageCount: 1,
    sentAt: expect.stringMatching(INFOBIP_TIME),
    to: '39123456789',
    contact: { phoneNumber: '39123456789' },
    ...extra,
  });

  it.each([
    ['image', '/photo.png'],
    ['document', '/offer.pdf'],
    ['audio', '/voice.ogg'],
    ['video', '/clip.mp4'],
    ['sticker', '/small.webp'],
  ])('fetches a %s HEAD then GET, then posts a DeliveryResult to notifyUrl', async (kind, file) => {
    const res = await postWhatsApp(
      sandbox,
      `/whatsapp/1/message/${kind}`,
      envelope({ mediaUrl: `${host.url}${file}` }, { notifyUrl: `${host.url}/report?token=t`, callbackData: 'cb' }),
    );
    const [post] = await sandbox.waitForDeliveryReports(1);

    expect(res.status).toBe(200);
    expect(sandbox.mediaFetches.map((f) => `${f.method} ${f.status}`)).toEqual(['HEAD 200', 'GET 200']);
    expect(host.hits.map((h) => `${h.method} ${h.path}`)).toEqual([`HEAD ${file}`, `GET ${file}`, 'POST /report?token=t']);
    // DeliveryReport has no callbackData and no channel, unlike OMNI's report.
    expect(post?.body).toEqual({ results: [report(res.json.messageId as string)] });
    expect(post?.status).toBe(200);
  });

  it('reports a text with no fetch, and logs the request and the report on one line each', async () => {
    const res = await postWhatsApp(
      sandbox,
      '/whatsapp/1/message/text',
      envelope({ text: 'x' }, { notifyUrl: `${host.url}/report` }),
    );
    await sandbox.waitForDeliveryReports(1);

    expect(sandbox.mediaFetches).toHaveLength(0);
    expect(logLines[0]).toBe(
      `[infobip-sandbox] POST /whatsapp/1/message/text -> 200 messageId=${String(res.json.messageId)} to=39123456789`,
    );
    expect(logLines).toContain(`[infobip-sandbox] delivery report (1 result) -> ${host.url}/report 200 (attempt 1)`);
  });

  it.each([
    ['a static sticker over 100 KB', '/big-static.webp', 'EC_MEDIA_METADATA_ERROR'],
    ['a sticker that is not WebP', '/sticker.png', 'EC_MEDIA_UNSUPPORTED'],
    ['a sticker the host does not have', '/missing.webp', 'EC_MEDIA_HOSTING_ERROR'],
  ])('reports %s (%s) UNDELIVERABLE with %s', async (_label, file, error) => {
    await postWhatsApp(
      sandbox,
      '/whatsapp/1/message/sticker',
      envelope({ mediaUrl: `${host.url}${file}` }, { notifyUrl: `${host.url}/r` }),
    );
    const [post] = await sandbox.waitForDeliveryReports(1);

    const [result] = (post?.body as { results: { status: { name: string }; error: { name: string } }[] }).results;
    expect(result?.status.name).toBe('UNDELIVERABLE_NOT_DELIVERED');
    expect(result?.error.name).toBe(error);
  });

  it('takes an animated sticker up to 500 KB', async () => {
    await postWhatsApp(
      sandbox,
      '/whatsapp/1/message/sticker',
      envelope({ mediaUrl: `${host.url}/big-animated.webp` }, { notifyUrl: `${host.url}/r` }),
    );
    const [post] = await sandbox.waitForDeliveryReports(1);

    expect((post?.body as { results: { status: { name: string } }[] }).results[0]?.status.name).toBe('DELIVERED_TO_HANDSET');
  });
});
