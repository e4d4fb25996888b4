/**
 * The sandbox's interactive messages, mark-as-read and typing indicator
 * (tools/infobipSandbox/whatsapp/) over real HTTP: bodies as Infobip's published OpenAPI
 * specification (v3.210.0) defines them, with the limits its prose adds, are taken; each
 * broken limit is a 400 naming the field; a header's file is fetched HEAD then GET; a
 * mark-as-read path is percent-decoded; the sandbox-only helpers give simulate what it needs.
 */
import { startInfobipSandbox, type InfobipSandbox } from '../../tools/infobipSandbox';
import { errorsOf, postWhatsApp, SENDER, startFileHost, WA_API_KEY } from '../support/whatsAppSandbox';

let sandbox: InfobipSandbox;
let host: Awaited<ReturnType<typeof startFileHost>>;

beforeAll(async () => {
  host = await startFileHost({ '/header.png': { type: 'image/png', bytes: Buffer.from('89504e470d0a1a0a', 'hex') } });
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

type Json = Record<string, unknown>;
const envelope = (content: Json, extra: Json = {}) => ({ from: SENDER, to: '39123456789', content, ...extra });
const button = (id: string, title = id) => ({ type: 'REPLY', id, title });
const buttons = (extra: Json = {}, list = [button('yes', 'Yes'), button('no', 'No')]) => ({
  body: { text: 'Shall we?' },
  action: { buttons: list },
  ...extra,
});
const row = (id: string, extra: Json = {}) => ({ id, title: `Row ${id}`, ...extra });
const list = (sections: unknown[], extra: Json = {}) => ({
  body: { text: 'Pick one' },
  action: { title: 'Options', sections },
  ...extra,
});
const urlButton = (extra: Json = {}) => ({
  body: { text: 'See it' },
  action: { displayText: 'Open', url: 'https://example.com/x' },
  ...extra,
});

describe('interactive messages: what Infobip takes', () => {
  it.each<[string, string, Json]>([
    [
      'buttons with every header kind but a file, and a footer',
      'buttons',
      buttons({ header: { type: 'TEXT', text: 'h'.repeat(60) }, footer: { text: 'f'.repeat(60) } }),
    ],
    [
      'three buttons at their limits',
      'buttons',
      buttons({}, [button('a'.repeat(256), 't'.repeat(20)), button('b'), button('c')]),
    ],
    ['a list of one untitled section', 'list', list([{ rows: [row('1', { description: 'd'.repeat(72) })] }])],
    [
      'a list of ten rows over two titled sections',
      'list',
      list([
        { title: 's'.repeat(24), rows: [1, 2, 3, 4, 5].map((i) => row(`a${i}`)) },
        { title: 'B', rows: [1, 2, 3, 4, 5].map((i) => row(`b${i}`)) },
      ]),
    ],
    [
      'a url-button with a DOCUMENT header',
      'url-button',
      urlButton({ header: { type: 'DOCUMENT', mediaUrl: 'https://e.com/a.pdf', filename: 'f'.repeat(240) } }),
    ],
  ])('takes %s', async (_label, kind, content) => {
    const noFetch = await startInfobipSandbox({ apiKey: WA_API_KEY, fetchMedia: false, deliveryReports: false });
    try {
      const res = await postWhatsApp(noFetch, `/whatsapp/1/message/interactive/${kind}`, envelope(content));
      expect(res.status).toBe(200);
      expect(res.json).toEqual(
        expect.objectContaining({
          to: '39123456789',
          messageCount: 1,
          status: expect.objectContaining({ name: 'PENDING_ENROUTE' }),
        }),
      );
    } finally {
      await noFetch.close();
    }
  });

  it('fetches an IMAGE header HEAD then GET, and reports to notifyUrl', async () => {
    await postWhatsApp(
      sandbox,
      '/whatsapp/1/message/interactive/buttons',
      envelope(buttons({ header: { type: 'IMAGE', mediaUrl: `${host.url}/header.png` } }), { notifyUrl: `${host.url}/report` }),
    );
    const [post] = await sandbox.waitForDeliveryReports(1);

    expect(host.hits.map((h) => `${h.method} ${h.path}`)).toEqual(['HEAD /header.png', 'GET /header.png', 'POST /report']);
    expect((post?.body as { results: { status: { name: string } }[] }).results[0]?.status.name).toBe('DELIVERED_TO_HANDSET');
  });

  it('remembers the choices of an accepted message for GET /sandbox/messages/{messageId}, a local-only helper', async () => {
    const sent = await postWhatsApp(
      sandbox,
      '/whatsapp/1/message/interactive/list',
      envelope(
        list([
          { title: 'A', rows: [row('r1', { description: 'First' })] },
          { title: 'B', rows: [row('r/2=')] },
        ]),
        { messageId: 'list+1' },
      ),
    );
    const found = await fetch(`${sandbox.url}/sandbox/messages/${encodeURIComponent('list+1')}`);
    const missing = await fetch(`${sandbox.url}/sandbox/messages/nope`);

    expect(sent.status).toBe(200);
    expect(await found.json()).toEqual({
      messageId: 'list+1',
      kind: 'interactive list',
      from: SENDER,
      to: '39123456789',
      choices: [
        { id: 'r1', title: 'Row r1', description: 'First' },
        { id: 'r/2=', title: 'Row r/2=' },
      ],
    });
    expect(missing.status).toBe(404);
    expect(sandbox.received.map((r) => r.path)).toEqual(['/whatsapp/1/message/interactive/list']);
  });
});

describe('interactive messages: what Infobip refuses', () => {
  beforeEach(() => sandbox.expectSchemaRefusals());
  const rows = (n: number, prefix: string) => Array.from({ length: n }, (_, i) => row(`${prefix}${i}`));

  it.each<[string, string, Json, string]>([
    ['no buttons', 'buttons', buttons({}, []), 'content.action.buttons'],
    ['four buttons', 'buttons', buttons({}, [button('a'), button('b'), button('c'), button('d')]), 'content.action.buttons'],
    [
      'a button of another type',
      'buttons',
      buttons({}, [{ type: 'URL', id: 'a', title: 'A' }]),
      'content.action.buttons[0].type',
    ],
    ['a button id over 256', 'buttons', buttons({}, [button('i'.repeat(257), 'A')]), 'content.action.buttons[0].id'],
    ['an empty button id', 'buttons', buttons({}, [button('', 'A')]), 'content.action.buttons[0].id'],
    ['a button title over 20', 'buttons', buttons({}, [button('a', 't'.repeat(21))]), 'content.action.buttons[0].title'],
    ['two buttons of one id', 'buttons', buttons({}, [button('a', 'A'), button('a', 'B')]), 'content.action.buttons[1].id'],
    ['a button id with a leading space', 'buttons', buttons({}, [button(' a', 'A')]), 'content.action.buttons[0].id'],
    ['a body over 1024', 'buttons', { ...buttons(), body: { text: 'b'.repeat(1025) } }, 'content.body.text'],
    ['an empty body', 'buttons', { ...buttons(), body: { text: '' } }, 'content.body.text'],
    ['no body', 'buttons', { action: buttons().action }, 'content.body'],
    ['a header text over 60', 'buttons', buttons({ header: { type: 'TEXT', text: 'h'.repeat(61) } }), 'content.header.text'],
    ['a footer over 60', 'buttons', buttons({ footer: { text: 'f'.repeat(61) } }), 'content.footer.text'],
    ['an IMAGE header without mediaUrl', 'buttons', buttons({ header: { type: 'IMAGE' } }), 'content.header.mediaUrl'],
    [
      'a header mediaUrl over 2048',
      'buttons',
      buttons({ header: { type: 'VIDEO', mediaUrl: `https://e.com/${'v'.repeat(2040)}` } }),
      'content.header.mediaUrl',
    ],
    [
      'a DOCUMENT header filename over 240',
      'url-button',
      urlButton({ header: { type: 'DOCUMENT', mediaUrl: 'https://e.com/d', filename: 'f'.repeat(241) } }),
      'content.header.filename',
    ],
    [
      'a header of an unknown type',
      'buttons',
      buttons({ header: { type: 'AUDIO', mediaUrl: 'https://e.com/a' } }),
      'content.header.type',
    ],
    [
      'a list IMAGE header',
      'list',
      list([{ rows: [row('1')] }], { header: { type: 'IMAGE', mediaUrl: 'https://e.com/i.png' } }),
      'content.header.type',
    ],
    ['no sections', 'list', list([]), 'content.action.sections'],
    [
      'eleven sections',
      'list',
      list(Array.from({ length: 11 }, (_, i) => ({ title: `S${i}`, rows: [row(`r${i}`)] }))),
      'content.action.sections',
    ],
    ['a section title over 24', 'list', list([{ title: 's'.repeat(25), rows: [row('1')] }]), 'content.action.sections[0].title'],
    [
      'two sections, one untitled',
      'list',
      list([{ title: 'A', rows: [row('1')] }, { rows: [row('2')] }]),
      'content.action.sections[1].title',
    ],
    ['a section without rows', 'list', list([{ rows: [] }]), 'content.action.sections[0].rows'],
    [
      'eleven rows in all',
      'list',
      list([
        { title: 'A', rows: rows(6, 'a') },
        { title: 'B', rows: rows(5, 'b') },
      ]),
      'content.action.sections',
    ],
    [
      'two rows of one id across sections',
      'list',
      list([
        { title: 'A', rows: [row('x')] },
        { title: 'B', rows: [row('x')] },
      ]),
      'content.action.sections[1].rows[0].id',
    ],
    ['a row id over 200', 'list', list([{ rows: [row('i'.repeat(201))] }]), 'content.action.sections[0].rows[0].id'],
    [
      'a row title over 24',
      'list',
      list([{ rows: [{ id: '1', title: 't'.repeat(25) }] }]),
      'content.action.sections[0].rows[0].title',
    ],
    [
      'a row description over 72',
      'list',
      list([{ rows: [row('1', { description: 'd'.repeat(73) })] }]),
      'content.action.sections[0].rows[0].description',
    ],
    [
      'a list title over 20',
      'list',
      { ...list([{ rows: [row('1')] }]), action: { title: 't'.repeat(21), sections: [{ rows: [row('1')] }] } },
      'content.action.title',
    ],
    [
      'a displayText over 20',
      'url-button',
      urlButton({ action: { displayText: 'd'.repeat(21), url: 'https://e.com' } }),
      'content.action.displayText',
    ],
    [
      'a url over 2048',
      'url-button',
      urlButton({ action: { displayText: 'Open', url: `https://e.com/${'u'.repeat(2040)}` } }),
      'content.action.url',
    ],
    ['a url-button without url', 'url-button', urlButton({ action: { displayText: 'Open' } }), 'content.action.url'],
  ])('refuses %s with a 400 ApiException naming the field', async (_label, kind, content, field) => {
    const res = await postWhatsApp(sandbox, `/whatsapp/1/message/interactive/${kind}`, envelope(content));

    expect(res.status).toBe(400);
    expect(res.json.requestError?.serviceException.messageId).toBe('BAD_REQUEST');
    expect(Object.keys(errorsOf(res))).toContain(field);
    expect(sandbox.accepted).toHaveLength(0);
  });

  it('answers 404 for an interactive kind the API does not have', async () => {
    const res = await postWhatsApp(sandbox, '/whatsapp/1/message/interactive/carousel', envelope(buttons()));

    expect(res.status).toBe(404);
  });
});

describe('mark as read', () => {
  const readPath = (sender: string, id: string) =>
    `/whatsapp/1/senders/${encodeURIComponent(sender)}/message/${encodeURIComponent(id)}/read`;
  const ID = 'wamid.HBgL+Mjc4/MTM=';

  it('answers 204 with no body for an inbound message the sandbox knows, decoding +, / and = in the id', async () => {
    sandbox.rememberInbound(ID);

    const res = await postWhatsApp(sandbox, readPath(SENDER, ID), undefined, { 'content-type': '' });

    expect(res.status).toBe(204);
    expect(res.text).toBe('');
    expect(sandbox.marksAsRead).toEqual([{ sender: SENDER, messageId: ID, at: expect.any(String) }]);
  });

  it('takes an id remembered through the local helper POST /sandbox/inbound/{messageId}', async () => {
    const remembered = await fetch(`${sandbox.url}/sandbox/inbound/${encodeURIComponent(ID)}`, { method: 'POST' });

    const res = await postWhatsApp(sandbox, readPath(SENDER, ID));

    expect(remembered.status).toBe(204);
    expect(res.status).toBe(204);
  });

  it('refuses an id it never received, or a sender the account does not have, with MarkAsReadErrorResponse', async () => {
    sandbox.rememberInbound(ID);

    const unknownId = await postWhatsApp(sandbox, readPath(SENDER, 'wamid.OTHER'));
    const unknownSender = await postWhatsApp(sandbox, readPath('15550001111', ID));
    const unauthorised = await postWhatsApp(sandbox, readPath(SENDER, ID), undefined, { authorization: 'App nope' });

    expect(unknownId.status).toBe(400);
    expect(unknownId.json).toEqual({ error: `Message wamid.OTHER was not received by sender ${SENDER}` });
    expect(unknownSender.status).toBe(400);
    expect(unknownSender.json).toEqual({ error: 'Sender 15550001111 is not a WhatsApp sender of this account' });
    expect(unauthorised.status).toBe(401);
    expect(sandbox.marksAsRead).toHaveLength(0);
  });
});

describe('typing indicator: POST /whatsapp/1/events', () => {
  const event = (extra: Json = {}) => ({
    sender: SENDER,
    destinations: [{ to: '39123456789' }],
    content: { type: 'TYPING_INDICATOR' },
    ...extra,
  });

  it('answers ResponseEnvelopeMessageResponseMessageResponseDetails, one message per event', async () => {
    const res = await postWhatsApp(sandbox, '/whatsapp/1/events', { events: [event()] });

    expect(res.status).toBe(200);
    expect(res.json).toEqual({
      bulkId: expect.any(String),
      messages: [
        {
          messageId: expect.any(String),
          status: {
            groupId: 1,
            groupName: 'PENDING',
            id: 26,
            name: 'PENDING_ACCEPTED',
            description: 'Message sent to next instance',
          },
          destination: '39123456789',
        },
      ],
    });
  });

  it.each<[string, unknown, string]>([
    ['no destination', { events: [event({ destinations: [] })] }, 'events[0].destinations'],
    ['two destinations', { events: [event({ destinations: [{ to: '1' }, { to: '2' }] })] }, 'events[0].destinations'],
    ['another content type', { events: [event({ content: { type: 'SEEN' } })] }, 'events[0].content.type'],
    ['no sender', { events: [{ destinations: [{ to: '1' }], content: { type: 'TYPING_INDICATOR' } }] }, 'events[0].sender'],
    ['an unknown field', { events: [event({ text: 'x' })] }, 'events[0].text'],
  ])('refuses %s with a 400 ApiError naming the property', async (_label, body, property) => {
    sandbox.expectSchemaRefusals();

    const res = await postWhatsApp(sandbox, '/whatsapp/1/events', body);

    expect(res.status).toBe(400);
    expect(res.json).toEqual(
      expect.objectContaining({
        errorCode: 'E400',
        violations: expect.arrayContaining([expect.objectContaining({ property })]),
        resources: [],
      }),
    );
  });

  it('refuses a sender the account does not have', async () => {
    const res = await postWhatsApp(sandbox, '/whatsapp/1/events', { events: [event({ sender: '15550001111' })] });

    expect(res.status).toBe(400);
    expect(res.json.violations).toEqual([
      { property: 'events[0].sender', violation: 'is not a WhatsApp sender of this account: 15550001111' },
    ]);
  });
});
