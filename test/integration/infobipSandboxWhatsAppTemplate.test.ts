/**
 * `POST /whatsapp/1/message/template` in the sandbox: a `BulkMessage` as Infobip's published
 * OpenAPI specification (v3.210.0) defines it is answered `BulkMessageInfo`, then judged
 * against the `from` sender's catalogue exactly as the OMNI path judges its templates
 * (tools/infobipSandbox/templates.ts): a template the catalogue does not fit ends in an
 * UNDELIVERABLE report, and a header's file is fetched HEAD then GET.
 */
import { startInfobipSandbox, type InfobipSandbox } from '../../tools/infobipSandbox';
import { errorsOf, postWhatsApp, SENDER, startFileHost, WA_API_KEY } from '../support/whatsAppSandbox';

const PNG = Buffer.from('89504e470d0a1a0a0000000d49484452', 'hex');
let sandbox: InfobipSandbox;
let host: Awaited<ReturnType<typeof startFileHost>>;

beforeAll(async () => {
  host = await startFileHost({ '/offer.png': { type: 'image/png', bytes: PNG } });
  sandbox = await startInfobipSandbox({ apiKey: WA_API_KEY, followUpDelayMs: 0, reportBatchWindowMs: 0 });
});
afterAll(async () => {
  await sandbox.close();
  await host.close();
});
beforeEach(() => {
  sandbox.reset();
  host.hits.length = 0;
});

type Content = Record<string, unknown>;
const message = (content: Content, extra: Record<string, unknown> = {}) => ({
  from: SENDER,
  to: '39123456789',
  content,
  // The refusal table is built before the host starts; those requests never report.
  notifyUrl: `${(host as typeof host | undefined)?.url ?? 'https://example.com'}/report`,
  ...extra,
});
const orderUpdate: Content = {
  templateName: 'order_update',
  templateData: { body: { placeholders: ['Mario', '#123'] } },
  language: 'en',
};
const welcomeOffer = (mediaUrl: string): Content => ({
  templateName: 'welcome_offer',
  templateData: {
    body: { placeholders: ['Mario'] },
    header: { type: 'IMAGE', mediaUrl },
    buttons: [{ type: 'URL', parameter: 'abc' }],
  },
  language: 'en',
});

interface Result {
  messageId: string;
  bulkId?: string;
  status: { name: string };
  error: { name: string };
}
const resultsOf = async (n: number): Promise<Result[]> =>
  (await sandbox.waitForDeliveryReports(n)).flatMap((p) => (p.body as { results: Result[] }).results);

describe('WhatsApp API templates', () => {
  it('answers BulkMessageInfo with the bulkId and one SingleMessageInfo per message, and reports each DELIVERED', async () => {
    const res = await postWhatsApp(sandbox, '/whatsapp/1/message/template', {
      messages: [message(orderUpdate, { messageId: 'm-1' }), message({ ...orderUpdate, language: 'es' })],
      bulkId: 'bulk-1',
    });
    const results = await resultsOf(1);

    expect(res.status).toBe(200);
    expect(res.json).toEqual({
      messages: [
        expect.objectContaining({ to: '39123456789', messageCount: 1, messageId: 'm-1' }),
        expect.objectContaining({
          to: '39123456789',
          messageCount: 1,
          status: expect.objectContaining({ name: 'PENDING_ENROUTE' }),
        }),
      ],
      bulkId: 'bulk-1',
    });
    expect(results.map((r) => [r.bulkId, r.status.name])).toEqual([
      ['bulk-1', 'DELIVERED_TO_HANDSET'],
      ['bulk-1', 'DELIVERED_TO_HANDSET'],
    ]);
  });

  it('fetches an IMAGE header HEAD then GET before reporting', async () => {
    await postWhatsApp(sandbox, '/whatsapp/1/message/template', { messages: [message(welcomeOffer(`${host.url}/offer.png`))] });
    const [result] = await resultsOf(1);

    expect(host.hits.map((h) => `${h.method} ${h.path}`)).toEqual(['HEAD /offer.png', 'GET /offer.png', 'POST /report']);
    expect(result?.status.name).toBe('DELIVERED_TO_HANDSET');
  });

  it.each<[string, Content, string]>([
    ['an unknown template', { ...orderUpdate, templateName: 'no_such_template' }, 'EC_INVALID_TEMPLATE'],
    ['a language the sender has no template in', { ...orderUpdate, language: 'de' }, 'EC_INVALID_TEMPLATE'],
    ['too few placeholders', { ...orderUpdate, templateData: { body: { placeholders: ['Mario'] } } }, 'EC_INVALID_TEMPLATE_ARGS'],
    [
      'a header the template does not have',
      { ...orderUpdate, templateData: { body: { placeholders: ['a', 'b'] }, header: { type: 'TEXT', placeholder: 'x' } } },
      'EC_INVALID_TEMPLATE_ARGS',
    ],
  ])('takes %s (200) and reports it UNDELIVERABLE with %s, fetching nothing', async (_label, content, error) => {
    const res = await postWhatsApp(sandbox, '/whatsapp/1/message/template', { messages: [message(content)] });
    const [result] = await resultsOf(1);

    expect(res.status).toBe(200);
    expect(result?.status.name).toBe('UNDELIVERABLE_NOT_DELIVERED');
    expect(result?.error.name).toBe(error);
    expect(sandbox.mediaFetches).toHaveLength(0);
  });

  it('judges by the catalogue of the message’s own sender', async () => {
    sandbox.setTemplates('441134960000', []);

    await postWhatsApp(sandbox, '/whatsapp/1/message/template', { messages: [message(orderUpdate, { from: '441134960000' })] });
    const [result] = await resultsOf(1);

    expect(result?.error.name).toBe('EC_INVALID_TEMPLATE');
  });

  it('refuses a sender the account does not have, naming the message', async () => {
    const res = await postWhatsApp(sandbox, '/whatsapp/1/message/template', {
      messages: [message(orderUpdate), message(orderUpdate, { from: '15550001111' })],
    });

    expect(res.status).toBe(400);
    expect(errorsOf(res)).toEqual({ 'messages[1].from': ['is not a WhatsApp sender of this account: 15550001111'] });
  });

  describe('refusals', () => {
    beforeEach(() => sandbox.expectSchemaRefusals());
    const data = (extra: Content) => ({ ...orderUpdate, templateData: { body: { placeholders: ['a', 'b'] }, ...extra } });

    it.each<[string, unknown, string]>([
      ['no messages', {}, 'messages'],
      ['a bulkId over 100', { messages: [message(orderUpdate)], bulkId: 'b'.repeat(101) }, 'bulkId'],
      ['no language', { messages: [message({ ...orderUpdate, language: undefined })] }, 'messages[0].content.language'],
      [
        'a templateName over 512',
        { messages: [message({ ...orderUpdate, templateName: 'a'.repeat(513) })] },
        'messages[0].content.templateName',
      ],
      [
        'a templateName with capitals',
        { messages: [message({ ...orderUpdate, templateName: 'Order' })] },
        'messages[0].content.templateName',
      ],
      ['no body', { messages: [message({ ...orderUpdate, templateData: {} })] }, 'messages[0].content.templateData.body'],
      [
        'a blank placeholder',
        { messages: [message(data({ body: { placeholders: ['a', ' '] } }))] },
        'messages[0].content.templateData.body.placeholders[1]',
      ],
      [
        'a header of an unknown type',
        { messages: [message(data({ header: { type: 'HOLOGRAM' } }))] },
        'messages[0].content.templateData.header.type',
      ],
      [
        'a DOCUMENT header without filename',
        { messages: [message(data({ header: { type: 'DOCUMENT', mediaUrl: 'https://e.com/a.pdf' } }))] },
        'messages[0].content.templateData.header.filename',
      ],
      [
        'a quick-reply parameter over 128',
        { messages: [message(data({ buttons: [{ type: 'QUICK_REPLY', parameter: 'p'.repeat(129) }] }))] },
        'messages[0].content.templateData.buttons[0].parameter',
      ],
      [
        'a LOCATION header latitude over 90',
        { messages: [message(data({ header: { type: 'LOCATION', latitude: 91, longitude: 0 } }))] },
        'messages[0].content.templateData.header.latitude',
      ],
      [
        'an smsFailover without text',
        { messages: [message(orderUpdate, { smsFailover: { from: 'Shop' } })] },
        'messages[0].smsFailover.text',
      ],
    ])('refuses %s with a 400 ApiException naming the field', async (_label, body, field) => {
      const res = await postWhatsApp(sandbox, '/whatsapp/1/message/template', body);

      expect(res.status).toBe(400);
      expect(Object.keys(errorsOf(res))).toContain(field);
      expect(sandbox.accepted).toHaveLength(0);
    });
  });
});
