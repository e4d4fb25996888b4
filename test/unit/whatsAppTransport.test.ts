import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { makeSendMessageHandler } from '../../lib/messages/text';
import { makeSendLocationHandler } from '../../lib/messages/location';
import { makeSendContactHandler } from '../../lib/messages/contact';
import { makeSendMediaHandler } from '../../lib/media/send';
import { MEDIA_KINDS, type MediaKind } from '../../lib/media/kinds';
import { makeSendTemplateHandler } from '../../lib/templates/send';
import { STICKER_STATIC_MAX_BYTES } from '../../lib/media/sticker';
import { sampleFile } from '../support/sampleFile';
import {
  API_KEY,
  BASE_URL,
  NOTIFY_URL,
  PUBLIC_URL,
  QUOTED,
  SENDER,
  harness,
  type Call,
  type baseDeps,
} from '../support/sendHarness';

/**
 * The WhatsApp API transport through the real handlers, with Infobip faked at fetch: which
 * API each request reaches, the exact body it carries (Infobip's `TextMessage`,
 * `DocumentMessage`, `StickerMessage`, `BulkMessage`… of its published specification
 * v3.210.0), and the refusals that send nothing.
 */

const EVENTS = join(__dirname, '../../events');

const media = (kind: MediaKind) => (deps: ReturnType<typeof baseDeps>) => makeSendMediaHandler(MEDIA_KINDS[kind], deps);
const base64 = (bytes: Buffer) => bytes.toString('base64');
const stickerFile = (name: string) => JSON.parse(JSON.parse(readFileSync(join(EVENTS, name), 'utf8')).body).content as string;

describe('choosing the transport', () => {
  it('sends through OMNI by default, in the runbook field order, and says so in the answer', async () => {
    const t = harness(makeSendMessageHandler, { sender: SENDER });

    const res = await t.send({ to: '39123456789', text: 'Hello', messageId: 'm-1' });

    expect(res.status).toBe(200);
    expect(res.body.transport).toBe('omni');
    expect(t.calls.map((c) => c.url)).toEqual([`${BASE_URL}/omni/1/advanced`]);
    expect(JSON.stringify(t.calls[0]?.body)).toBe(
      `{"scenarioKey":"SCENARIO-KEY","destinations":[{"to":{"phoneNumber":"39123456789"},"messageId":"m-1"}],"whatsApp":{"text":"Hello"},"notifyUrl":"${NOTIFY_URL}"}`,
    );
  });

  it("sends a text as TextMessage with INFOBIP_TRANSPORT=whatsapp, in the schema's field order", async () => {
    const t = harness(makeSendMessageHandler, { transport: 'whatsapp', sender: SENDER });

    const res = await t.send({ to: '+39123456789', text: 'Hello', messageId: 'm-1', callbackData: 'cb' });

    expect(res).toEqual({
      status: 200,
      body: {
        messageId: '6920cb18-8b18-4172-9de7-514e2aac9ef1',
        to: '39123456789',
        status: {
          groupId: 1,
          groupName: 'PENDING',
          id: 7,
          name: 'PENDING_ENROUTE',
          description: 'Message sent to next instance',
        },
        transport: 'whatsapp',
      },
    });
    expect(t.calls.map((c) => c.url)).toEqual([`${BASE_URL}/whatsapp/1/message/text`]);
    expect(JSON.stringify(t.calls[0]?.body)).toBe(
      `{"from":"${SENDER}","to":"39123456789","messageId":"m-1","content":{"text":"Hello"},"callbackData":"cb","notifyUrl":"${NOTIFY_URL}"}`,
    );
  });

  it("writes the runbook's two lines with the WhatsApp API URL", async () => {
    const t = harness(makeSendMessageHandler, { transport: 'whatsapp', sender: SENDER });

    await t.send({ to: '39123456789', text: 'Hello' });

    const url = `${BASE_URL}/whatsapp/1/message/text`;
    expect(t.lines.some((line) => line.includes(`request to [${url}] Data [{"from":"${SENDER}"`))).toBe(true);
    expect(t.lines.some((line) => line.includes(`response of [${url}]: {"to":"39123456789"`))).toBe(true);
    expect(t.lines.join('\n')).not.toContain(API_KEY);
  });

  it('takes infobip.transport per request over the deployment default, both ways', async () => {
    const toWhatsApp = harness(makeSendMessageHandler, { sender: SENDER });
    const toOmni = harness(makeSendMessageHandler, { transport: 'whatsapp', sender: SENDER });

    await toWhatsApp.send({ to: '39123456789', text: 'a', infobip: { transport: 'whatsapp' } });
    await toOmni.send({ to: '39123456789', text: 'b', infobip: { transport: 'omni' } });

    expect(toWhatsApp.calls[0]?.url).toBe(`${BASE_URL}/whatsapp/1/message/text`);
    expect(toOmni.calls[0]?.url).toBe(`${BASE_URL}/omni/1/advanced`);
  });

  it('takes the business number from infobip.sender over INFOBIP_SENDER', async () => {
    const t = harness(makeSendMessageHandler, { transport: 'whatsapp', sender: SENDER });

    await t.send({ to: '39123456789', text: 'a', infobip: { sender: '+441134960000' } });

    expect(t.calls[0]?.body.from).toBe('441134960000');
  });

  it('refuses a WhatsApp API send without a business number, naming both places for it, and sends nothing', async () => {
    const t = harness(makeSendMessageHandler, { transport: 'whatsapp' });

    const res = await t.send({ to: '39123456789', text: 'Hello' });

    expect(res.status).toBe(400);
    expect(res.body.error).toMatchObject({ code: 'VALIDATION_FAILED' });
    const details = JSON.stringify(res.body.error);
    expect(details).toContain('infobip.sender');
    expect(details).toContain('INFOBIP_SENDER');
    expect(t.calls).toEqual([]);
  });

  it('refuses an unknown infobip.transport with a 400 that lists the two', async () => {
    const t = harness(makeSendMessageHandler, { sender: SENDER });

    const res = await t.send({ to: '39123456789', text: 'Hello', infobip: { transport: 'sms' } });

    expect(res.status).toBe(400);
    expect(JSON.stringify(res.body.error)).toContain('must be omni or whatsapp');
    expect(t.calls).toEqual([]);
  });

  it('needs no scenario key on the WhatsApp API', async () => {
    const t = harness(makeSendMessageHandler, { transport: 'whatsapp', sender: SENDER });

    const res = await t.send({ to: '39123456789', text: 'a' });

    expect(res.status).toBe(200);
    expect(JSON.stringify(t.calls[0]?.body)).not.toContain('SCENARIO-KEY');
  });
});

describe('quoted replies (replyTo)', () => {
  it('goes through the WhatsApp API with context.replyToMessageId even when OMNI is the default', async () => {
    const t = harness(makeSendMessageHandler, { sender: SENDER });

    const res = await t.send({ to: '39123456789', text: 'About this:', replyTo: QUOTED });

    expect(res.status).toBe(200);
    expect(res.body.transport).toBe('whatsapp');
    expect(t.calls[0]?.url).toBe(`${BASE_URL}/whatsapp/1/message/text`);
    expect(t.calls[0]?.body.context).toEqual({ replyToMessageId: QUOTED });
  });

  it('is refused, not dropped, when no business number is known', async () => {
    const t = harness(makeSendMessageHandler);

    const res = await t.send({ to: '39123456789', text: 'About this:', replyTo: QUOTED });

    expect(res.status).toBe(400);
    expect(JSON.stringify(res.body.error)).toContain('INFOBIP_SENDER');
    expect(t.calls).toEqual([]);
  });

  it('is refused when the request insists on OMNI, which cannot quote', async () => {
    const t = harness(makeSendMessageHandler, { sender: SENDER });

    const res = await t.send({ to: '39123456789', text: 'x', replyTo: QUOTED, infobip: { transport: 'omni' } });

    expect(res.status).toBe(400);
    expect(res.body.error).toMatchObject({ code: 'TRANSPORT_CANNOT_CARRY' });
    expect(String((res.body.error as { message: string }).message)).toContain('replyTo');
    expect(t.calls).toEqual([]);
  });

  it.each([
    ['empty', ''],
    ['with a space', 'has space'],
    ['of 513 characters', 'x'.repeat(513)],
  ])('refuses a replyTo %s with a 400 naming the field', async (_label, replyTo) => {
    const t = harness(makeSendMessageHandler, { sender: SENDER });

    const res = await t.send({ to: '39123456789', text: 'x', replyTo });

    expect(res.status).toBe(400);
    expect(JSON.stringify(res.body.error)).toContain('"path":"replyTo"');
    expect(t.calls).toEqual([]);
  });

  it('quotes on a location and a contact card too', async () => {
    const location = harness(makeSendLocationHandler, { sender: SENDER });
    const contact = harness(makeSendContactHandler, { sender: SENDER });

    await location.send({ to: '39123456789', latitude: 45.5, longitude: 9.2, replyTo: QUOTED });
    await contact.send({
      to: '39123456789',
      contacts: [{ name: { firstName: 'Ada', formattedName: 'Ada Lovelace' } }],
      replyTo: QUOTED,
    });

    expect(location.calls[0]?.body.context).toEqual({ replyToMessageId: QUOTED });
    expect(contact.calls[0]?.body.context).toEqual({ replyToMessageId: QUOTED });
  });
});

describe('each route on the WhatsApp API', () => {
  const opts = { transport: 'whatsapp' as const, sender: SENDER };

  it('document: fileName becomes filename, the caption stays the caption', async () => {
    const t = harness(media('document'), opts);
    const pdf = base64(sampleFile('application/pdf', 600));

    const plain = await t.send({ to: '39123456789', fileName: 'Offer.pdf', contentType: 'application/pdf', content: pdf });
    await t.send({
      to: '39123456789',
      fileName: 'Offer.pdf',
      contentType: 'application/pdf',
      content: pdf,
      caption: 'Our offer',
    });

    expect(t.calls[0]?.url).toBe(`${BASE_URL}/whatsapp/1/message/document`);
    expect(t.calls[0]?.body.content).toEqual({ mediaUrl: plain.body.mediaUrl, filename: 'Offer.pdf' });
    expect(t.calls[1]?.body.content).toMatchObject({ caption: 'Our offer', filename: 'Offer.pdf' });
  });

  it.each([
    ['image', 'image/png'],
    ['video', 'video/mp4'],
  ] as const)('%s: mediaUrl and caption (only when given)', async (kind, type) => {
    const t = harness(media(kind), opts);
    const content = base64(sampleFile(type, 600));

    const res = await t.send({ to: '39123456789', fileName: `f.${kind}`, contentType: type, content, caption: 'Look' });
    await t.send({ to: '39123456789', fileName: `f.${kind}`, contentType: type, content });

    expect(t.calls[0]?.url).toBe(`${BASE_URL}/whatsapp/1/message/${kind}`);
    expect(t.calls[0]?.body.content).toEqual({ mediaUrl: res.body.mediaUrl, caption: 'Look' });
    expect(Object.keys(t.calls[1]?.body.content as object)).toEqual(['mediaUrl']);
  });

  it("audio: mediaUrl only, the caption is not WhatsApp's to show", async () => {
    const t = harness(media('audio'), opts);

    const res = await t.send({
      to: '39123456789',
      fileName: 'v.ogg',
      contentType: 'audio/ogg',
      content: base64(sampleFile('audio/ogg', 600)),
      caption: 'ignored',
    });

    expect(t.calls[0]?.body.content).toEqual({ mediaUrl: res.body.mediaUrl });
  });

  it('location: LocationContent with name and address', async () => {
    const t = harness(makeSendLocationHandler, opts);

    await t.send({ to: '39123456789', latitude: 45.5, longitude: 9.2, name: 'Office', address: 'Via Roma 1' });

    expect(t.calls[0]?.url).toBe(`${BASE_URL}/whatsapp/1/message/location`);
    expect(t.calls[0]?.body.content).toEqual({ latitude: 45.5, longitude: 9.2, name: 'Office', address: 'Via Roma 1' });
  });

  it('contact: ContactsContent, the same cards as OMNI', async () => {
    const t = harness(makeSendContactHandler, opts);
    const contacts = [
      { name: { firstName: 'Ada', formattedName: 'Ada Lovelace' }, phones: [{ phone: '+39 02 1234', type: 'WORK' }] },
    ];

    await t.send({ to: '39123456789', contacts });

    expect(t.calls[0]?.url).toBe(`${BASE_URL}/whatsapp/1/message/contact`);
    expect(t.calls[0]?.body.content).toEqual({ contacts });
  });

  it('template: a BulkMessage of one message, its header and buttons as TemplateDataContent, answered by BulkMessageInfo', async () => {
    const t = harness((deps) => makeSendTemplateHandler(deps), opts);

    const res = await t.send({
      to: '39123456789',
      templateName: 'order_update',
      language: 'en_GB',
      placeholders: ['Ada', '42'],
      header: { type: 'DOCUMENT', url: 'https://cdn.example.com/invoice.pdf', fileName: 'invoice.pdf' },
      buttons: [
        { type: 'QUICK_REPLY', payload: 'stop' },
        { type: 'URL', parameter: 'orders/42' },
      ],
      messageId: 'tpl-1',
    });

    expect(res.status).toBe(200);
    expect(res.body.transport).toBe('whatsapp');
    expect(t.calls[0]?.url).toBe(`${BASE_URL}/whatsapp/1/message/template`);
    expect(t.calls[0]?.body).toEqual({
      messages: [
        {
          from: SENDER,
          to: '39123456789',
          messageId: 'tpl-1',
          content: {
            templateName: 'order_update',
            templateData: {
              body: { placeholders: ['Ada', '42'] },
              header: { type: 'DOCUMENT', mediaUrl: 'https://cdn.example.com/invoice.pdf', filename: 'invoice.pdf' },
              buttons: [
                { type: 'QUICK_REPLY', parameter: 'stop' },
                { type: 'URL', parameter: 'orders/42' },
              ],
            },
            language: 'en_GB',
          },
          notifyUrl: NOTIFY_URL,
        },
      ],
    });
  });

  it('template: a TEXT header is its placeholder, a LOCATION header its coordinates', async () => {
    const t = harness((deps) => makeSendTemplateHandler(deps), opts);

    await t.send({ to: '39123456789', templateName: 'a', language: 'en', header: { type: 'TEXT', text: 'Hi' } });
    await t.send({
      to: '39123456789',
      templateName: 'b',
      language: 'en',
      header: { type: 'LOCATION', latitude: 1, longitude: 2 },
    });

    const headerOf = (call: Call | undefined) =>
      (
        ((call?.body.messages as Record<string, unknown>[])[0]?.content as Record<string, unknown>).templateData as Record<
          string,
          unknown
        >
      ).header;
    expect(headerOf(t.calls[0])).toEqual({ type: 'TEXT', placeholder: 'Hi' });
    expect(headerOf(t.calls[1])).toEqual({ type: 'LOCATION', latitude: 1, longitude: 2 });
  });

  it('template: refuses replyTo (a template cannot quote) before anything is sent', async () => {
    const t = harness((deps) => makeSendTemplateHandler(deps), { sender: SENDER });

    const res = await t.send({ to: '39123456789', templateName: 'a', language: 'en', replyTo: QUOTED });

    expect(res.status).toBe(400);
    expect(JSON.stringify(res.body.error)).toContain('"path":"replyTo"');
    expect(t.calls).toEqual([]);
  });

  it('answers an unreadable 2xx as an unknown outcome, naming the API', async () => {
    const t = harness(makeSendMessageHandler, opts, () => new Response('{"nonsense":true}', { status: 200 }));

    const res = await t.send({ to: '39123456789', text: 'x' });

    expect(res.status).toBe(502);
    expect(String((res.body.error as { message: string }).message)).toContain("the WhatsApp API's SingleMessageInfo");
  });

  it("maps the WhatsApp API's REJECTED status to 422 as OMNI's", async () => {
    const rejected = {
      to: '39123456789',
      messageCount: 1,
      messageId: 'r-1',
      status: { groupId: 5, groupName: 'REJECTED', id: 12, name: 'REJECTED_NOT_ENOUGH_CREDITS' },
    };
    const t = harness(makeSendMessageHandler, opts, () => new Response(JSON.stringify(rejected), { status: 200 }));

    const res = await t.send({ to: '39123456789', text: 'x' });

    expect(res.status).toBe(422);
    expect(res.body.error).toMatchObject({ code: 'INFOBIP_REJECTED' });
  });

  it("gives ctlive the status's name as its description when SingleMessageStatus leaves it out", async () => {
    const bare = { messageId: 'm-2', status: { groupId: 1, groupName: 'PENDING', id: 7, name: 'PENDING_ENROUTE' } };
    const t = harness(makeSendMessageHandler, opts, () => new Response(JSON.stringify(bare), { status: 200 }));

    const res = await t.send({ to: '39123456789', text: 'x' });

    expect(res.body.status).toEqual({
      groupId: 1,
      groupName: 'PENDING',
      id: 7,
      name: 'PENDING_ENROUTE',
      description: 'PENDING_ENROUTE',
    });
  });
});

describe('stickers', () => {
  const webp = (name: string) => ({
    to: '39123456789',
    fileName: 'sticker.webp',
    contentType: 'image/webp',
    content: stickerFile(name),
  });

  it('go through the WhatsApp API whatever the default, as StickerContent with the parked URL', async () => {
    const t = harness(media('sticker'), { sender: SENDER });

    const res = await t.send({ ...webp('sendWhatsAppStickerMessage-200-webp.json'), replyTo: QUOTED });

    expect(res.status).toBe(200);
    expect(res.body.mediaUrl).toMatch(new RegExp(`^${PUBLIC_URL}/getStickerMessage/[0-9a-f-]{36}$`));
    expect(t.calls[0]?.url).toBe(`${BASE_URL}/whatsapp/1/message/sticker`);
    expect(t.calls[0]?.body.content).toEqual({ mediaUrl: res.body.mediaUrl });
    expect(t.calls[0]?.body.context).toEqual({ replyToMessageId: QUOTED });
  });

  it('refuses a PNG with 415 and sends nothing', async () => {
    const t = harness(media('sticker'), { sender: SENDER });

    const res = await t.send({
      to: '39123456789',
      fileName: 's.png',
      contentType: 'image/png',
      content: base64(sampleFile('image/png', 300)),
    });

    expect(res.status).toBe(415);
    expect(t.calls).toEqual([]);
  });

  it('refuses a 600×600 WebP, naming the size it found', async () => {
    const t = harness(media('sticker'), { sender: SENDER });

    const res = await t.send(webp('sendWhatsAppStickerMessage-422-600-pixels.json'));

    expect(res.status).toBe(422);
    expect(res.body.error).toMatchObject({ code: 'STICKER_REFUSED', found: '600x600', limit: '512x512' });
    expect(t.calls).toEqual([]);
  });

  it('refuses a static sticker over 100 KB and an animated one over 500 KB, naming limit and size', async () => {
    const t = harness(media('sticker'), { sender: SENDER });
    const staticBig = sampleFile('image/webp', STICKER_STATIC_MAX_BYTES + 1);
    const animatedBig = sampleFile('image/webp', 500 * 1000 + 1);
    animatedBig[20] = 0x02; // VP8X flags: animation

    const tooBig = await t.send({ ...webp('sendWhatsAppStickerMessage-200-webp.json'), content: base64(staticBig) });
    const animatedTooBig = await t.send({ ...webp('sendWhatsAppStickerMessage-200-webp.json'), content: base64(animatedBig) });

    expect(tooBig.status).toBe(422);
    expect(tooBig.body.error).toMatchObject({ limit: 100_000, found: 100_001, animated: false });
    expect(String((tooBig.body.error as { message: string }).message)).toContain('static sticker may be at most 100000 bytes');
    expect(animatedTooBig.status).toBe(422);
    expect(animatedTooBig.body.error).toMatchObject({ limit: 500_000, found: 500_001, animated: true });
    expect(t.calls).toEqual([]);
  });

  it('refuses a sticker when no business number is known, and parks nothing', async () => {
    const t = harness(media('sticker'));

    const res = await t.send(webp('sendWhatsAppStickerMessage-200-webp.json'));

    expect(res.status).toBe(400);
    expect(JSON.stringify(res.body.error)).toContain('INFOBIP_SENDER');
    expect(t.calls).toEqual([]);
  });
});

describe('an unknown outcome on the WhatsApp API', () => {
  it('is not looked up at Infobip (the API has no such operation): a retry waits for a report or the grace period', async () => {
    let answered = 0;
    const t = harness(makeSendMessageHandler, { transport: 'whatsapp', sender: SENDER }, () => {
      answered += 1;
      return new Response('<html>502 Bad Gateway</html>', { status: 502 });
    });
    const body = { to: '39123456789', text: 'x' };

    const first = await t.send(body, { 'idempotency-key': 'wa-unknown-1' });
    const retry = await t.send(body, { 'idempotency-key': 'wa-unknown-1' });

    expect(first.status).toBe(502);
    expect(retry.status).toBe(409);
    expect(retry.body.error).toMatchObject({ code: 'OUTCOME_UNKNOWN' });
    expect(answered).toBe(1); // no GET to any lookup, no second send
    expect(t.lines.some((line) => line.includes("Infobip's whatsapp API cannot be asked about message"))).toBe(true);
  });
});
