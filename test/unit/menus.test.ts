import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { makeSendButtonsHandler, makeSendUrlButtonHandler } from '../../lib/interactive/send';
import { makeSendListHandler } from '../../lib/messages/list';
import { createReadMarks, makeMarkAsReadHandler, type ReadMarks } from '../../lib/signals/markAsRead';
import { makeTypingHandler } from '../../lib/signals/typing';
import type { HttpEvent } from '../../lib/platform/http';
import { lambdaContext } from '../support/lambda';
import { sampleFile } from '../support/sampleFile';
import { BASE_URL, PUBLIC_URL, SENDER, harness, type baseDeps } from '../support/sendHarness';
import { STREAM_URL, memoryUploads } from '../support/uploadFake';

/**
 * Reply buttons, lists, link buttons, read receipts and typing through their real handlers,
 * Infobip faked at fetch: the WhatsApp API request each makes (Infobip's
 * `InteractiveButtonsContent`, `InteractiveListContent`, `InteractiveUrlButtonContent`,
 * mark-as-read and `WhatsAppEventRequest`), and every refusal a 4xx that names the field and
 * the limit, with nothing sent.
 */
const EVENTS = join(__dirname, '../../events');
const to = '39123456789';
const opts = { sender: SENDER };
type Deps = ReturnType<typeof baseDeps>;

/** Read marks in memory: SET NX EX and DEL as Redis does them. */
function memoryMarks(): ReadMarks & { keys: Set<string> } {
  const keys = new Set<string>();
  return {
    keys,
    take: async (key) => {
      if (keys.has(key)) return false;
      keys.add(key);
      return true;
    },
    forget: async (key) => {
      keys.delete(key);
    },
  };
}

const markAsRead = (marks: ReadMarks) => (deps: Deps) => makeMarkAsReadHandler({ ...deps, marks });
const errorOf = (body: Record<string, unknown>) =>
  body.error as { code: string; message: string; details?: { path: string; message: string }[] };

describe('sendWhatsAppButtonsMessage', () => {
  it('sends InteractiveButtonsContent through the WhatsApp API, REPLY buttons in order, even on the OMNI default', async () => {
    const t = harness(makeSendButtonsHandler, opts);

    const res = await t.send({
      to,
      text: 'How can we help?',
      buttons: [
        { id: 'billing', title: 'Billing' },
        { id: 'tech', title: 'Technical' },
      ],
      header: { type: 'TEXT', text: 'Support' },
      footer: 'Tap one',
    });

    expect(res.status).toBe(200);
    expect(res.body.transport).toBe('whatsapp');
    expect(t.calls[0]?.url).toBe(`${BASE_URL}/whatsapp/1/message/interactive/buttons`);
    expect(t.calls[0]?.body).toMatchObject({
      from: SENDER,
      to,
      content: {
        body: { text: 'How can we help?' },
        action: {
          buttons: [
            { type: 'REPLY', id: 'billing', title: 'Billing' },
            { type: 'REPLY', id: 'tech', title: 'Technical' },
          ],
        },
        header: { type: 'TEXT', text: 'Support' },
        footer: { text: 'Tap one' },
      },
    });
  });

  it("parks a header's inline file, answers where it is, and gives Infobip its URL", async () => {
    const t = harness(makeSendButtonsHandler, opts);
    const pdf = sampleFile('application/pdf', 900).toString('base64');

    const res = await t.send({
      to,
      text: 'Your invoice',
      buttons: [{ id: 'ok', title: 'Got it' }],
      header: { type: 'DOCUMENT', content: pdf, contentType: 'application/pdf', fileName: 'invoice.pdf' },
    });

    expect(res.status).toBe(200);
    expect(res.body.mediaUrl).toMatch(new RegExp(`^${PUBLIC_URL}/getDocumentMessage/[0-9a-f-]{36}$`));
    expect((t.calls[0]?.body.content as { header: unknown }).header).toEqual({
      type: 'DOCUMENT',
      mediaUrl: res.body.mediaUrl,
      filename: 'invoice.pdf',
    });
  });

  it.each([
    ['four buttons', { buttons: [1, 2, 3, 4].map((n) => ({ id: `b${n}`, title: `B${n}` })) }, 'buttons', 'at most 3 buttons'],
    ['a 21-character title', { buttons: [{ id: 'a', title: 'x'.repeat(21) }] }, 'buttons.0.title', 'at most 20 characters'],
    ['a 257-character id', { buttons: [{ id: 'x'.repeat(257), title: 'A' }] }, 'buttons.0.id', 'at most 256 characters'],
    [
      'a duplicate id',
      {
        buttons: [
          { id: 'a', title: 'A' },
          { id: 'a', title: 'B' },
        ],
      },
      'buttons.1.id',
      'duplicate button id "a" (also at buttons.0.id)',
    ],
    ['no buttons', { buttons: [] }, 'buttons', 'at least one button'],
    ['a body over 1024', { text: 'x'.repeat(1025), buttons: [{ id: 'a', title: 'A' }] }, 'text', 'at most 1024 characters'],
    ['a footer over 60', { footer: 'x'.repeat(61), buttons: [{ id: 'a', title: 'A' }] }, 'footer', 'at most 60 characters'],
    [
      'a header with both url and content',
      {
        buttons: [{ id: 'a', title: 'A' }],
        header: { type: 'IMAGE', url: 'https://x.example/a.png', content: 'AAAA', contentType: 'image/png' },
      },
      'header',
      'only one of url, content or mediaId',
    ],
  ])('refuses %s with a 400 naming the field and the limit, sending nothing', async (_what, fields, path, says) => {
    const t = harness(makeSendButtonsHandler, opts);

    const res = await t.send({ to, text: 'Pick', ...fields });

    expect(res.status).toBe(400);
    const detail = errorOf(res.body).details?.find((d) => d.path === path);
    expect(detail?.message).toContain(says);
    expect(t.calls).toEqual([]);
  });

  it('refuses a menu without a business number, naming infobip.sender and INFOBIP_SENDER', async () => {
    const t = harness(makeSendButtonsHandler);

    const res = await t.send({ to, text: 'Pick', buttons: [{ id: 'a', title: 'A' }] });

    expect(res.status).toBe(400);
    expect(JSON.stringify(res.body.error)).toContain('INFOBIP_SENDER');
    expect(t.calls).toEqual([]);
  });
});

describe("a buttons or link-button header naming an upload's mediaId", () => {
  const pdf = sampleFile('application/pdf', 5000);
  const png = sampleFile('image/png', 4000);
  /** The route with the media bucket wired (in memory), and one PDF and one PNG uploaded to it. */
  function withUploads(make = makeSendButtonsHandler, config = {}) {
    const uploads = memoryUploads(config);
    const t = harness((deps) => make({ ...deps, objects: uploads.deps }), opts);
    const document = uploads.add('document', 'contract.pdf', 'application/pdf', pdf);
    const image = uploads.add('image', 'promo.png', 'image/png', png);
    return { ...t, uploads, document, image };
  }
  const menu = (header: Record<string, unknown>) => ({
    to,
    text: 'Your contract',
    buttons: [{ id: 'ok', title: 'Sign' }],
    header,
  });

  it("gives Infobip the upload's streaming URL and the name it was uploaded with, answers both ids, and marks the upload sent", async () => {
    const t = withUploads();

    const res = await t.send(menu({ type: 'DOCUMENT', mediaId: t.document }), { 'idempotency-key': 'menu-1' });

    expect(res.status).toBe(200);
    const mediaUrl = `${STREAM_URL}/getDocumentMessage/${t.document}`;
    expect(res.body).toMatchObject({ mediaId: t.document, mediaUrl, transport: 'whatsapp' });
    expect((t.calls[0]?.body.content as { header: unknown }).header).toEqual({
      type: 'DOCUMENT',
      mediaUrl,
      filename: 'contract.pdf',
    });
    expect(t.uploads.sent.get(t.document)).toBe(t.calls[0]?.body.messageId);
  });

  it('points Infobip at the public API in redirect mode, and takes an IMAGE header on the link button too', async () => {
    const t = withUploads(makeSendUrlButtonHandler, { fetchMode: 'redirect' });

    const res = await t.send({
      to,
      text: 'New in store',
      displayText: 'Shop',
      url: 'https://example.com/shop',
      header: { type: 'IMAGE', mediaId: t.image, contentType: 'image/png' },
    });

    expect(res.status).toBe(200);
    expect((t.calls[0]?.body.content as { header: unknown }).header).toEqual({
      type: 'IMAGE',
      mediaUrl: `${PUBLIC_URL}/getImageMessage/${t.image}`,
    });
  });

  it.each([
    ['a mediaId that is no UUID', () => 'nope', {}, 400, 'VALIDATION_FAILED', 'POST /imchannel/media'],
    [
      'an upload that does not exist',
      () => '5b0e7a1c-2f4d-4c8e-9a6b-1d2e3f4a5b6c',
      {},
      404,
      'NOT_FOUND',
      'POST /imchannel/media',
    ],
    ['an image upload in a DOCUMENT header', (t: Uploads) => t.image, {}, 400, 'WRONG_MEDIA_KIND', 'a header of type IMAGE'],
    [
      'another fileName than the upload',
      (t: Uploads) => t.document,
      { fileName: 'other.pdf' },
      400,
      'UPLOAD_FIELD_MISMATCH',
      'header.fileName must be the one of the upload ("contract.pdf")',
    ],
    [
      'mediaId beside url',
      (t: Uploads) => t.document,
      { url: 'https://x.example/a.pdf' },
      400,
      'VALIDATION_FAILED',
      'only one of',
    ],
  ])('refuses %s with a 4xx that says how to fix it, sending nothing', async (_what, idOf, fields, status, code, says) => {
    const t = withUploads();

    const res = await t.send(menu({ type: 'DOCUMENT', mediaId: idOf(t), ...fields }));

    expect(res.status).toBe(status);
    const error = errorOf(res.body);
    expect(error.code).toBe(code);
    expect([error.message, ...(error.details ?? []).map((d) => `${d.path}: ${d.message}`)].join('\n')).toContain(says);
    expect(t.calls).toEqual([]);
    expect(t.uploads.sent.size).toBe(0);
  });

  it('refuses an upload not PUT yet with a retryable 409, keeping it usable; and one whose bytes are no PDF with a 415, deleting it', async () => {
    const t = withUploads();
    const notYet = t.uploads.add('document', 'late.pdf', 'application/pdf', pdf, { put: false });
    const fake = t.uploads.add('document', 'fake.pdf', 'application/pdf', png);

    const missing = await t.send(menu({ type: 'DOCUMENT', mediaId: notYet }));
    const mismatch = await t.send(menu({ type: 'DOCUMENT', mediaId: fake }));

    expect([missing.status, errorOf(missing.body).code]).toEqual([409, 'UPLOAD_MISSING']);
    expect(t.uploads.entries.has(notYet)).toBe(true);
    expect([mismatch.status, errorOf(mismatch.body).code]).toEqual([415, 'CONTENT_MISMATCH']);
    expect(t.uploads.entries.has(fake)).toBe(false);
    expect(t.calls).toEqual([]);
  });

  it('sends an upload as one message: a retry of it goes, another message with it is a 409 naming the first', async () => {
    const t = withUploads();

    const first = await t.send(menu({ type: 'DOCUMENT', mediaId: t.document }), { 'idempotency-key': 'a' });
    const retry = await t.send(menu({ type: 'DOCUMENT', mediaId: t.document }), { 'idempotency-key': 'a' });
    const other = await t.send(menu({ type: 'DOCUMENT', mediaId: t.document }), { 'idempotency-key': 'b' });

    expect([first.status, retry.status]).toEqual([200, 200]);
    expect(retry.body).toEqual(first.body);
    expect(other.status).toBe(409);
    expect(errorOf(other.body)).toMatchObject({ code: 'UPLOAD_ALREADY_SENT' });
    // The mark names the id Infobip was given for the first message.
    expect(errorOf(other.body).message).toContain(`as message ${String(t.calls[0]?.body.messageId)},`);
    expect(t.calls).toHaveLength(1);
  });

  it('deletes the upload when Infobip refuses the message for certain', async () => {
    const uploads = memoryUploads();
    const t = harness(
      (deps) => makeSendButtonsHandler({ ...deps, objects: uploads.deps }),
      opts,
      () =>
        new Response(JSON.stringify({ requestError: { serviceException: { messageId: 'BAD_REQUEST', text: 'Bad request' } } }), {
          status: 400,
        }),
    );
    const mediaId = uploads.add('document', 'contract.pdf', 'application/pdf', pdf);

    const res = await t.send(menu({ type: 'DOCUMENT', mediaId }));

    expect(res.status).toBe(502);
    expect(uploads.entries.has(mediaId)).toBe(false);
    expect(uploads.objects.size).toBe(0);
  });

  it('is refused with LARGE_FILES_DISABLED where the deployment has no bucket', async () => {
    const t = harness(makeSendButtonsHandler, opts);

    const res = await t.send(menu({ type: 'IMAGE', mediaId: '5b0e7a1c-2f4d-4c8e-9a6b-1d2e3f4a5b6c' }));

    expect([res.status, errorOf(res.body).code]).toEqual([400, 'LARGE_FILES_DISABLED']);
    expect(t.calls).toEqual([]);
  });
});
type Uploads = { image: string; document: string };

describe('sendWhatsAppListMessage', () => {
  const rows = (n: number, prefix = 'r') => Array.from({ length: n }, (_, i) => ({ id: `${prefix}${i}`, title: `Row ${i}` }));

  it('sends InteractiveListContent: the button label as action.title, the sections as given', async () => {
    const t = harness(makeSendListHandler, opts);
    const sections = [
      { title: 'Monday', rows: [{ id: 'mon-9', title: '09:00', description: 'Dr Rossi' }] },
      { title: 'Tuesday', rows: [{ id: 'tue-14', title: '14:00' }] },
    ];

    const res = await t.send({
      to,
      text: 'Pick a slot',
      buttonText: 'Slots',
      sections,
      header: { type: 'TEXT', text: 'Visits' },
    });

    expect(res.status).toBe(200);
    expect(t.calls[0]?.url).toBe(`${BASE_URL}/whatsapp/1/message/interactive/list`);
    expect(t.calls[0]?.body.content).toEqual({
      body: { text: 'Pick a slot' },
      action: { title: 'Slots', sections },
      header: { type: 'TEXT', text: 'Visits' },
    });
  });

  it.each([
    ['11 rows in one section', [{ title: 'A', rows: rows(11) }], 'sections', 'at most 10 rows in all'],
    [
      '11 rows over two sections',
      [
        { title: 'A', rows: rows(6, 'a') },
        { title: 'B', rows: rows(5, 'b') },
      ],
      'sections',
      'it holds 11',
    ],
    [
      'a row id used twice across sections',
      [
        { title: 'A', rows: [{ id: 'same', title: 'One' }] },
        { title: 'B', rows: [{ id: 'same', title: 'Two' }] },
      ],
      'sections.1.rows.0.id',
      'duplicate row id "same" (also at sections.0.rows.0.id)',
    ],
    [
      'an untitled section among two',
      [{ rows: rows(1, 'a') }, { title: 'B', rows: rows(1, 'b') }],
      'sections.0.title',
      'required when the list has more than one section',
    ],
    [
      '11 sections',
      Array.from({ length: 11 }, (_, i) => ({ title: `S${i}`, rows: rows(1, `s${i}-`) })),
      'sections',
      'at most 10 sections',
    ],
    ['an empty section', [{ title: 'A', rows: [] }], 'sections.0.rows', 'at least one row'],
    ['a row title of 25', [{ rows: [{ id: 'a', title: 'x'.repeat(25) }] }], 'sections.0.rows.0.title', 'at most 24 characters'],
    [
      'a description of 73',
      [{ rows: [{ id: 'a', title: 'A', description: 'x'.repeat(73) }] }],
      'sections.0.rows.0.description',
      'at most 72',
    ],
    ['a section title of 25', [{ title: 'x'.repeat(25), rows: rows(1) }], 'sections.0.title', 'at most 24 characters'],
  ])('refuses %s with a 400 naming the field, sending nothing', async (_what, sections, path, says) => {
    const t = harness(makeSendListHandler, opts);

    const res = await t.send({ to, text: 'Pick', buttonText: 'Open', sections });

    expect(res.status).toBe(400);
    const detail = errorOf(res.body).details?.find((d) => d.path === path);
    expect(detail?.message).toContain(says);
    expect(t.calls).toEqual([]);
  });

  it('refuses a list button label of 21 characters', async () => {
    const t = harness(makeSendListHandler, opts);

    const res = await t.send({ to, text: 'Pick', buttonText: 'x'.repeat(21), sections: [{ rows: rows(1) }] });

    expect(errorOf(res.body).details?.map((d) => d.path)).toEqual(['buttonText']);
  });
});

describe('sendWhatsAppUrlButtonMessage', () => {
  it('sends InteractiveUrlButtonContent with displayText and url', async () => {
    const t = harness(makeSendUrlButtonHandler, opts);

    const res = await t.send({
      to,
      text: 'Your order',
      displayText: 'Track it',
      url: 'https://example.com/o/42',
      footer: 'Shop',
    });

    expect(res.status).toBe(200);
    expect(t.calls[0]?.url).toBe(`${BASE_URL}/whatsapp/1/message/interactive/url-button`);
    expect(t.calls[0]?.body.content).toEqual({
      body: { text: 'Your order' },
      action: { displayText: 'Track it', url: 'https://example.com/o/42' },
      footer: { text: 'Shop' },
    });
  });

  it.each([
    ['an http: link', { url: 'http://example.com/o/42' }, 'url', 'https'],
    ['a javascript: link', { url: 'javascript:alert(1)' }, 'url', 'https'],
    ['a link over 2048', { url: `https://example.com/${'x'.repeat(2040)}` }, 'url', 'at most 2048'],
    ['a label of 21', { displayText: 'x'.repeat(21) }, 'displayText', 'at most 20 characters'],
  ])('refuses %s with a 400 naming the field', async (_what, fields, path, says) => {
    const t = harness(makeSendUrlButtonHandler, opts);

    const res = await t.send({ to, text: 'Your order', displayText: 'Track', url: 'https://example.com', ...fields });

    expect(res.status).toBe(400);
    expect(errorOf(res.body).details?.find((d) => d.path === path)?.message).toContain(says);
    expect(t.calls).toEqual([]);
  });
});

describe('markAsRead', () => {
  const id = 'wamid.HBgL+Mzkx/MjM0NTY3ODkVAg==';

  it('puts the id percent-encoded in the path, sends no body, and asks Infobip once however often it is called', async () => {
    const marks = memoryMarks();
    const t = harness(markAsRead(marks), opts, () => new Response(null, { status: 204 }));

    const first = await t.send({ messageId: id });
    const again = await t.send({ messageId: id });

    expect(first).toEqual({ status: 200, body: { messageId: id, read: true, alreadyMarked: false } });
    expect(again).toEqual({ status: 200, body: { messageId: id, read: true, alreadyMarked: true } });
    expect(t.calls.map((c) => c.url)).toEqual([
      `${BASE_URL}/whatsapp/1/senders/${SENDER}/message/wamid.HBgL%2BMzkx%2FMjM0NTY3ODkVAg%3D%3D/read`,
    ]);
    expect(t.calls[0]?.body).toBeUndefined();
    expect(t.lines.some((line) => line.includes(`request to [${t.calls[0]?.url}] with api key header`))).toBe(true);
  });

  it('keeps its mark per Infobip account: the same id in another account is another message, marked there too', async () => {
    const marks = memoryMarks();
    const t = harness(markAsRead(marks), opts, () => new Response(null, { status: 204 }));
    const other = { baseUrl: 'https://yyyy.api.infobip.com', apiKey: 'other-account-key-0123456789' };

    const own = await t.send({ messageId: 'wamid.SAME' });
    const theirs = await t.send({ messageId: 'wamid.SAME', infobip: other });

    expect([own.body, theirs.body]).toEqual([
      { messageId: 'wamid.SAME', read: true, alreadyMarked: false },
      { messageId: 'wamid.SAME', read: true, alreadyMarked: false },
    ]);
    expect([...marks.keys]).toEqual([
      `IMChannel:Read:${SENDER}:wamid.SAME`,
      `IMChannel:Account:yyyy.api.infobip.com/Read:${SENDER}:wamid.SAME`,
    ]);
    expect(t.calls.map((c) => new URL(c.url).host)).toEqual([new URL(BASE_URL).host, 'yyyy.api.infobip.com']);
  });

  it('answers 503 REDIS_UNAVAILABLE without calling Infobip when its mark cannot be taken, and deletes a mark that may land late', async () => {
    const forgotten: string[] = [];
    const broken: ReadMarks = {
      take: async () => {
        throw new Error('fetch failed');
      },
      forget: async (key) => void forgotten.push(key),
    };
    const t = harness(markAsRead(broken), opts);

    const res = await t.send({ messageId: 'wamid.X+/=' });

    expect([res.status, errorOf(res.body).code]).toEqual([503, 'REDIS_UNAVAILABLE']);
    expect(t.calls).toEqual([]);
    expect(forgotten).toEqual([`IMChannel:Read:${SENDER}:wamid.X+/=`]);
  });

  it("turns Infobip's 429 into a 429 with Retry-After, and forgets the mark so that a retry goes out", async () => {
    const marks = memoryMarks();
    let answers = 0;
    const t = harness(markAsRead(marks), opts, () => {
      answers += 1;
      return answers === 1
        ? new Response('{}', { status: 429, headers: { 'retry-after': '2' } })
        : new Response(null, { status: 204 });
    });

    const limited = await t.send({ messageId: id });
    const retryAfter = t.headers()['retry-after'];
    const retried = await t.send({ messageId: id });

    expect(limited.status).toBe(429);
    expect(retryAfter).toBe('2');
    expect(errorOf(limited.body).code).toBe('INFOBIP_RATE_LIMITED');
    expect(retried.body).toMatchObject({ alreadyMarked: false });
    expect(answers).toBe(2);
  });

  it("passes on Infobip's reason for refusing an unknown message, and forgets the mark", async () => {
    const marks = memoryMarks();
    const t = harness(
      markAsRead(marks),
      opts,
      () => new Response(JSON.stringify({ error: 'Message wamid.x was not received by sender 447860099299' }), { status: 400 }),
    );

    const res = await t.send({ messageId: 'wamid.x' });

    expect(res.status).toBe(502);
    expect(errorOf(res.body).message).toContain('was not received by sender');
    expect(marks.keys.size).toBe(0);
  });

  it('refuses an id with a space, and a call without a business number, before any Redis or Infobip call', async () => {
    const marks = memoryMarks();
    const t = harness(markAsRead(marks));

    const spaced = await t.send({ messageId: 'has space' });
    const senderless = await t.send({ messageId: 'wamid.ok' });

    expect(errorOf(spaced.body).details?.map((d) => d.path)).toEqual(['messageId']);
    expect(senderless.status).toBe(400);
    expect(JSON.stringify(senderless.body)).toContain('INFOBIP_SENDER');
    expect(marks.keys.size).toBe(0);
    expect(t.calls).toEqual([]);
  });

  it('keeps its marks with SET NX EX in Redis', async () => {
    const calls: unknown[][] = [];
    const redis = {
      set: async (...args: unknown[]) => {
        calls.push(['set', ...args]);
        return calls.length === 1 ? 'OK' : null;
      },
      del: async (...args: unknown[]) => {
        calls.push(['del', ...args]);
        return 1;
      },
    } as unknown as Parameters<typeof createReadMarks>[0];
    const marks = createReadMarks(redis);

    expect(await marks.take('k', 60)).toBe(true);
    expect(await marks.take('k', 60)).toBe(false);
    await marks.forget('k');

    expect(calls).toEqual([
      ['set', 'k', '1', { nx: true, ex: 60 }],
      ['set', 'k', '1', { nx: true, ex: 60 }],
      ['del', 'k'],
    ]);
  });
});

describe('sendTypingIndicator', () => {
  it('sends one TYPING_INDICATOR event for one destination', async () => {
    const t = harness(makeTypingHandler, opts, () => new Response('{"messages":[]}', { status: 200 }));

    const res = await t.send({ to: '+39123456789' });

    expect(res).toEqual({ status: 200, body: { to, typing: true } });
    expect(t.calls).toEqual([
      {
        url: `${BASE_URL}/whatsapp/1/events`,
        body: { events: [{ sender: SENDER, destinations: [{ to }], content: { type: 'TYPING_INDICATOR' } }] },
      },
    ]);
  });

  it('refuses a bad number and a missing bearer token, sending nothing', async () => {
    const t = harness(makeTypingHandler, opts);

    const bad = await t.send({ to: 'abc' });
    const unauthorised = await t.send({ to }, { authorization: 'Bearer wrong' });

    expect(bad.status).toBe(400);
    expect(unauthorised.status).toBe(401);
    expect(t.calls).toEqual([]);
  });
});

/** The events/ files are what `serverless invoke local` runs: each answers the status in its name. */
const ROUTES: Record<string, (deps: Deps) => ReturnType<typeof makeTypingHandler>> = {
  sendWhatsAppButtonsMessage: makeSendButtonsHandler,
  sendWhatsAppListMessage: makeSendListHandler,
  sendWhatsAppUrlButtonMessage: makeSendUrlButtonHandler,
  markAsRead: markAsRead(memoryMarks()),
  sendTypingIndicator: makeTypingHandler,
};

describe.each(Object.entries(ROUTES))('events/%s-*.json', (name, make) => {
  const files = readdirSync(EVENTS).filter((file) => new RegExp(`^${name}-\\d{3}-.+\\.json$`).test(file));

  it('cover success, bad input and a missing or wrong token', () => {
    const statuses = new Set(files.map((file) => file.slice(name.length + 1, name.length + 4)));
    expect([...statuses].sort()).toEqual(['200', '400', '401']);
  });

  it.each(files)('%s', async (file) => {
    const expected = Number(new RegExp(`^${name}-(\\d{3})-`).exec(file)?.[1]);
    const event = JSON.parse(readFileSync(join(EVENTS, file), 'utf8')) as HttpEvent;
    const t = harness(make, { ...opts, token: 'imchannel-local-token' }, (url) =>
      url.endsWith('/read')
        ? new Response(null, { status: 204 })
        : new Response(
            JSON.stringify({
              to,
              messageCount: 1,
              messageId: 'm',
              status: { groupId: 1, groupName: 'PENDING', id: 7, name: 'PENDING_ENROUTE', description: 'x' },
            }),
          ),
    );
    const res = await t.handler(event, lambdaContext(name));

    expect(res.statusCode).toBe(expected);
    expect(t.calls).toHaveLength(expected === 200 ? 1 : 0);
  });
});
