import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { waitFor } from '../support/wait';
import { expectMatchesOpenApi } from '../support/openapi';
import { sampleFile } from '../support/sampleFile';
import { startLocalStack, type LocalStack } from '../../tools/stack';

/**
 * Every send route through the whole local stack with INFOBIP_TRANSPORT=whatsapp, as ctlive
 * sees it: each reaches the sandbox at its WhatsApp API path with a body the sandbox takes
 * (it refuses anything off Infobip's published schemas, and the shared teardown fails a
 * suite it refused a request of), a document's name arrives as `filename`, the two runbook
 * lines carry the route's tag and the WhatsApp API URL, and every answer is the one
 * docs/openapi.json describes.
 */
const SENDER = '44123456789';
const QUOTED = 'wamid.HBgLMzkxMjM0NTY3ODkVAgASGBQzQUY2QjYzRDM0RjVCMzM4QTFBRQA=';
const STICKER = JSON.parse(
  JSON.parse(readFileSync(join(__dirname, '../../events/sendWhatsAppStickerMessage-200-webp.json'), 'utf8')).body,
).content as string;
const base64 = (type: string) => sampleFile(type, 2_000).toString('base64');

describe('INFOBIP_TRANSPORT=whatsapp through the local stack', () => {
  let stack: LocalStack;
  const output: string[] = [];

  beforeAll(async () => {
    stack = await startLocalStack({
      freePorts: true,
      env: { INFOBIP_TRANSPORT: 'whatsapp' },
      output: (line) => output.push(line),
    });
  }, 120_000);
  afterAll(async () => {
    await stack?.stop();
  }, 30_000);
  beforeEach(() => {
    stack.sandbox.reset();
    output.length = 0;
  });

  const post = (route: string, body: unknown) =>
    fetch(`${stack.apiUrl}/${route}`, {
      method: 'POST',
      headers: { authorization: `Bearer ${stack.token}`, 'content-type': 'application/json' },
      body: JSON.stringify(body),
    });

  const to = '39123456789';
  const cases: [string, string, Record<string, unknown>, (content: Record<string, unknown>) => void][] = [
    ['sendMessage', 'text', { to, text: 'Hello' }, (c) => expect(c).toEqual({ text: 'Hello' })],
    [
      'sendWhatsAppImageMessage',
      'image',
      { to, fileName: 'p.png', contentType: 'image/png', content: base64('image/png'), caption: 'Look' },
      (c) => expect(c).toMatchObject({ caption: 'Look' }),
    ],
    [
      'sendWhatsAppDocumentMessage',
      'document',
      { to, fileName: 'Offer 2025.pdf', contentType: 'application/pdf', content: base64('application/pdf') },
      (c) => expect(c).toMatchObject({ filename: 'Offer 2025.pdf' }),
    ],
    [
      'sendWhatsAppAudioMessage',
      'audio',
      { to, fileName: 'v.ogg', contentType: 'audio/ogg', content: base64('audio/ogg') },
      (c) => expect(Object.keys(c)).toEqual(['mediaUrl']),
    ],
    [
      'sendWhatsAppVideoMessage',
      'video',
      { to, fileName: 'c.mp4', contentType: 'video/mp4', content: base64('video/mp4') },
      (c) => expect(Object.keys(c)).toEqual(['mediaUrl']),
    ],
    [
      'sendWhatsAppStickerMessage',
      'sticker',
      { to, fileName: 's.webp', contentType: 'image/webp', content: STICKER },
      (c) => expect(Object.keys(c)).toEqual(['mediaUrl']),
    ],
    [
      'sendWhatsAppLocationMessage',
      'location',
      { to, latitude: 45.4641943, longitude: 9.1896346, name: 'Duomo di Milano' },
      (c) => expect(c).toEqual({ latitude: 45.4641943, longitude: 9.1896346, name: 'Duomo di Milano' }),
    ],
    [
      'sendWhatsAppContactMessage',
      'contact',
      { to, contacts: [{ name: { firstName: 'Mario', formattedName: 'Mario Rossi' } }] },
      (c) => expect(c).toEqual({ contacts: [{ name: { firstName: 'Mario', formattedName: 'Mario Rossi' } }] }),
    ],
    [
      'sendWhatsAppButtonsMessage',
      'interactive/buttons',
      {
        to,
        text: 'How can we help?',
        buttons: [
          { id: 'billing', title: 'Billing' },
          { id: 'tech', title: 'Technical' },
        ],
        footer: 'Reply with a tap',
      },
      (c) =>
        expect(c).toEqual({
          body: { text: 'How can we help?' },
          action: {
            buttons: [
              { type: 'REPLY', id: 'billing', title: 'Billing' },
              { type: 'REPLY', id: 'tech', title: 'Technical' },
            ],
          },
          footer: { text: 'Reply with a tap' },
        }),
    ],
    [
      'sendWhatsAppListMessage',
      'interactive/list',
      {
        to,
        text: 'Pick a slot',
        buttonText: 'Slots',
        sections: [
          { title: 'Monday', rows: [{ id: 'mon-9', title: '9:00', description: 'Morning' }] },
          { title: 'Tuesday', rows: [{ id: 'tue-14', title: '14:00' }] },
        ],
      },
      (c) => expect(c).toMatchObject({ action: { title: 'Slots' } }),
    ],
    [
      'sendWhatsAppUrlButtonMessage',
      'interactive/url-button',
      { to, text: 'Your order', displayText: 'Track it', url: 'https://example.com/orders/42' },
      (c) =>
        expect(c).toEqual({
          body: { text: 'Your order' },
          action: { displayText: 'Track it', url: 'https://example.com/orders/42' },
        }),
    ],
  ];

  it.each(cases)('%s reaches /whatsapp/1/message/%s from the business number', async (route, path, body, checkContent) => {
    const res = await post(route, body);

    const answer = (await res.json()) as { messageId: string; transport: string; mediaUrl?: string };
    expect(res.status).toBe(200);
    expectMatchesOpenApi('POST', res.url, res.status, answer);
    expect(answer.transport).toBe('whatsapp');
    const received = stack.sandbox.received.filter((r) => r.path.startsWith('/whatsapp/1/message/'));
    expect(received.map((r) => `${r.method} ${r.path}`)).toEqual([`POST /whatsapp/1/message/${path}`]);
    const sent = received[0]?.body as Record<string, unknown>;
    expect(sent).toMatchObject({
      from: SENDER,
      to,
      // The token is bound to the message: never the report token itself.
      notifyUrl: expect.stringMatching(new RegExp(`^${stack.apiUrl}/onDeliveryReport\\?token=[\\w-]{32,}$`)),
    });
    checkContent(sent.content as Record<string, unknown>);
    if (answer.mediaUrl !== undefined) expect((sent.content as { mediaUrl: string }).mediaUrl).toBe(answer.mediaUrl);

    const url = `${stack.sandbox.url}/whatsapp/1/message/${path}`;
    await waitFor(() => output.some((line) => line.startsWith(`[IMCHANNEL] [${route}] response of [${url}]`)));
    expect(output.filter((line) => line.startsWith(`[IMCHANNEL] [${route}] request to [${url}] Data [`))).toHaveLength(1);
    expect(output.join('\n')).not.toContain(stack.env.INFOBIP_API_KEY);
    expect(stack.sandbox.schemaRefusals).toEqual([]);
  });

  it('a sticker is fetched HEAD then GET, with its exact bytes and type', async () => {
    const res = await post('sendWhatsAppStickerMessage', { to, fileName: 's.webp', contentType: 'image/webp', content: STICKER });
    expect(res.status).toBe(200);

    const [head, get] = await stack.sandbox.waitForMediaFetches(2);

    expect(head).toMatchObject({ method: 'HEAD', status: 200 });
    const bytes = Buffer.from(STICKER, 'base64');
    expect(get).toMatchObject({
      method: 'GET',
      status: 200,
      bodyBytes: bytes.length,
      bodySha256: createHash('sha256').update(bytes).digest('hex'),
    });
    expect(get?.headers['content-type']).toBe('image/webp');
  });

  it('a template goes as a BulkMessage of one TemplateContent', async () => {
    const res = await post('sendWhatsAppTemplateMessage', { to, templateName: 'welcome', language: 'en', placeholders: ['Ada'] });

    const answer = await res.json();
    expectMatchesOpenApi('POST', res.url, res.status, answer);
    const received = stack.sandbox.received.find((r) => r.path === '/whatsapp/1/message/template');
    expect(received?.body).toMatchObject({
      messages: [
        {
          from: SENDER,
          to,
          content: { templateName: 'welcome', language: 'en', templateData: { body: { placeholders: ['Ada'] } } },
        },
      ],
    });
  });

  it('a quote reaches Infobip as context.replyToMessageId', async () => {
    const res = await post('sendMessage', { to, text: 'About this', replyTo: QUOTED });

    expect(res.status).toBe(200);
    expect(stack.sandbox.received[0]?.body).toMatchObject({ context: { replyToMessageId: QUOTED } });
  });

  it.each([
    ['sendWhatsAppButtonsMessage', { text: 'x', buttons: [1, 2, 3, 4].map((n) => ({ id: `b${n}`, title: `B${n}` })) }, 'buttons'],
    ['sendWhatsAppButtonsMessage', { text: 'x', buttons: [{ id: 'a', title: 'x'.repeat(21) }] }, 'buttons.0.title'],
    [
      'sendWhatsAppListMessage',
      {
        text: 'x',
        buttonText: 'Open',
        sections: [{ title: 'All', rows: Array.from({ length: 11 }, (_, n) => ({ id: `r${n}`, title: `Row ${n}` })) }],
      },
      'sections',
    ],
    [
      'sendWhatsAppListMessage',
      {
        text: 'x',
        buttonText: 'Open',
        sections: [
          {
            rows: [
              { id: 'same', title: 'A' },
              { id: 'same', title: 'B' },
            ],
          },
        ],
      },
      'sections.0.rows.1.id',
    ],
    ['sendWhatsAppUrlButtonMessage', { text: 'x', displayText: 'Open', url: 'http://example.com' }, 'url'],
    ['sendWhatsAppStickerMessage', { fileName: 's.png', contentType: 'image/png', content: base64('image/png') }, undefined],
  ])('%s: bad input is a 4xx naming the field, and nothing reaches Infobip', async (route, body, path) => {
    const res = await post(route, { to, ...body });

    const answer = (await res.json()) as { error: { details?: { path: string; message: string }[] } };
    expect(res.status).toBeGreaterThanOrEqual(400);
    expect(res.status).toBeLessThan(500);
    expectMatchesOpenApi('POST', res.url, res.status, answer);
    if (path !== undefined) expect(answer.error.details?.map((d) => d.path)).toContain(path);
    expect(stack.sandbox.received).toHaveLength(0);
  });

  it("a buttons header names an upload above the inline limit: Infobip fetches it from the streaming URL, the same bytes, the upload's name", async () => {
    const declared = { kind: 'document', fileName: 'Contract 2025.pdf', contentType: 'application/pdf' };
    const bytes = sampleFile(declared.contentType, 4 * 1024 * 1024 + 1);
    const digest = createHash('sha256').update(bytes).digest('hex');
    const created = await post('media', { ...declared, size: bytes.length, sha256: digest });
    const { mediaId, upload } = (await created.json()) as {
      mediaId: string;
      upload: { method: string; url: string; headers: Record<string, string> };
    };
    expect((await fetch(upload.url, { method: upload.method, headers: upload.headers, body: bytes })).status).toBe(200);

    const res = await post('sendWhatsAppButtonsMessage', {
      to,
      text: 'Your contract',
      buttons: [{ id: 'sign', title: 'Sign' }],
      header: { type: 'DOCUMENT', mediaId },
    });
    const answer = (await res.json()) as { mediaId: string; mediaUrl: string };
    const [head, get] = await stack.sandbox.waitForMediaFetches(2, 60_000);

    expect(res.status).toBe(200);
    expectMatchesOpenApi('POST', res.url, res.status, answer);
    expect(answer).toMatchObject({ mediaId, mediaUrl: `${stack.streamUrl}/getDocumentMessage/${mediaId}` });
    const sent = stack.sandbox.received.find((r) => r.path === '/whatsapp/1/message/interactive/buttons');
    expect((sent?.body as { content: { header: unknown } }).content.header).toEqual({
      type: 'DOCUMENT',
      mediaUrl: answer.mediaUrl,
      filename: 'Contract 2025.pdf',
    });
    expect([head?.method, head?.status]).toEqual(['HEAD', 200]);
    expect({ method: get?.method, status: get?.status, bytes: get?.bodyBytes, sha256: get?.bodySha256 }).toEqual({
      method: 'GET',
      status: 200,
      bytes: bytes.length,
      sha256: digest,
    });
    expect(stack.sandbox.schemaRefusals).toEqual([]);
  }, 90_000);

  it('markAsRead reaches the percent-encoded path of an id holding +, / and =, once', async () => {
    const id = 'wamid.HBgL+Mzkx/MjM0NTY3ODkVAg==';
    stack.sandbox.rememberInbound(id);

    const first = await post('markAsRead', { messageId: id });
    const again = await post('markAsRead', { messageId: id });

    expect(first.status).toBe(200);
    expect(await first.json()).toEqual({ messageId: id, read: true, alreadyMarked: false });
    expect(await again.json()).toEqual({ messageId: id, read: true, alreadyMarked: true });
    const reads = stack.sandbox.received.filter((r) => r.path.endsWith('/read'));
    expect(reads.map((r) => r.path)).toEqual([`/whatsapp/1/senders/${SENDER}/message/${encodeURIComponent(id)}/read`]);
    expect(stack.sandbox.marksAsRead.map((m) => m.messageId)).toEqual([id]);
  });

  it('sendTypingIndicator sends one TYPING_INDICATOR event', async () => {
    const res = await post('sendTypingIndicator', { to });

    expect(res.status).toBe(200);
    expectMatchesOpenApi('POST', res.url, res.status, await res.json());
    expect(stack.sandbox.received.map((r) => r.body)).toEqual([
      { events: [{ sender: SENDER, destinations: [{ to }], content: { type: 'TYPING_INDICATOR' } }] },
    ]);
  });
});
