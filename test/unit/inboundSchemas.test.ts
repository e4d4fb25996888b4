import { toMessageEvent, toReportEvent } from '../../lib/inbound/events';
import { ValidationError } from '../../lib/platform/errors';
import { KNOWN_MESSAGE_TYPES, parseWebhookResults } from '../../lib/inbound/schemas';
import inboundText from '../fixtures/infobip/infobip-inbound-text.json';

const MEDIA_URL = 'https://api.infobip.com/whatsapp/1/senders/44123456789/media/abc';

/** An OMNI/WhatsApp API inbound result, as in the runbook. */
const omniResult = (message: Record<string, unknown>, extra: Record<string, unknown> = {}) => ({
  from: '39123456789',
  to: '44123456789',
  integrationType: 'WHATSAPP',
  receivedAt: '2025-02-27T15:44:57.000+0000',
  messageId: 'wamid.ABC',
  pairedMessageId: null,
  callbackData: null,
  message,
  contact: { name: 'Username1' },
  price: { pricePerMessage: 0, currency: 'SEK' },
  ...extra,
});

const common = {
  event: 'message',
  channel: 'WHATSAPP',
  messageId: 'wamid.ABC',
  from: '39123456789',
  to: '44123456789',
  receivedAt: '2025-02-27T15:44:57.000+0000',
  contactName: 'Username1',
};

describe('inbound message results map to ctlive message events', () => {
  it('maps the runbook fixture word for word, with the result as received in raw', () => {
    const [result] = parseWebhookResults(inboundText);

    expect(toMessageEvent(result!)).toEqual({
      ...common,
      messageId: 'wamid.HBgMMzUxOTI3NDgyNjYyFQIAEhggNEVERTc4NzZBNzJFNTYyRTJFQjZDQzQ3OTdDRTA0RjIA',
      type: 'TEXT',
      text: 'Oh well',
      raw: inboundText.results[0],
    });
    expect(toMessageEvent(result!).raw).toBe(inboundText.results[0]);
  });

  // Each documented type: what ends up in text and media, beside the common fields.
  const cases: Array<[string, Record<string, unknown>, Record<string, unknown>]> = [
    ['TEXT', { text: 'Oh well' }, { text: 'Oh well' }],
    ['IMAGE', { url: MEDIA_URL, caption: 'receipt' }, { media: { url: MEDIA_URL, caption: 'receipt' } }],
    ['DOCUMENT', { url: MEDIA_URL, caption: 'invoice.pdf' }, { media: { url: MEDIA_URL, caption: 'invoice.pdf' } }],
    ['AUDIO', { url: MEDIA_URL }, { media: { url: MEDIA_URL } }],
    ['VOICE', { url: MEDIA_URL }, { media: { url: MEDIA_URL } }],
    ['VIDEO', { url: MEDIA_URL, caption: 'clip' }, { media: { url: MEDIA_URL, caption: 'clip' } }],
    ['STICKER', { url: MEDIA_URL }, { media: { url: MEDIA_URL } }],
    // Infobip's LOCATION always carries a map or page link in `url`: a location, never media.
    [
      'LOCATION',
      { latitude: 41.9, longitude: 12.49, name: 'Colosseum', address: 'Rome', url: 'https://maps.example.com/c' },
      { location: { latitude: 41.9, longitude: 12.49, name: 'Colosseum', address: 'Rome', url: 'https://maps.example.com/c' } },
    ],
    // A file Infobip found infected: flagged, and its url never offered as media.
    ['INFECTED_CONTENT', { url: MEDIA_URL }, { infected: true }],
    [
      'CONTACT',
      { contacts: [{ name: { formattedName: 'Mario Rossi' }, phones: [{ phone: '+39 333' }] }] },
      { contacts: [{ name: { formattedName: 'Mario Rossi' }, phones: [{ phone: '+39 333' }] }] },
    ],
    // The choice comes back by the id ctlive gave it: a quick reply's payload, a button's or row's id.
    ['BUTTON', { text: 'Yes', payload: 'YES_PAYLOAD' }, { text: 'Yes', reply: { id: 'YES_PAYLOAD', title: 'Yes' } }],
    [
      'INTERACTIVE_BUTTON_REPLY',
      { id: 'b1', title: 'Talk to an agent' },
      { text: 'Talk to an agent', reply: { id: 'b1', title: 'Talk to an agent' } },
    ],
    [
      'INTERACTIVE_LIST_REPLY',
      { id: 'r1', title: 'Billing', description: 'Invoices' },
      { text: 'Billing', reply: { id: 'r1', title: 'Billing', description: 'Invoices' } },
    ],
    ['ORDER', { catalogId: '1', text: 'After 6pm', productItems: [{ productRetailerId: 'SKU-1' }] }, { text: 'After 6pm' }],
    // Infobip's shape (WhatsAppInboundReactionContent): the reacted-to message is `context.id`.
    [
      'REACTION',
      { emoji: '👍', action: 'ADDED', context: { id: 'wamid.OUT', from: '44123456789' } },
      { reaction: { emoji: '👍', action: 'ADDED', messageId: 'wamid.OUT' } },
    ],
    ['UNSUPPORTED', {}, {}],
  ];

  it('has a case for every documented type', () => {
    expect(cases.map(([type]) => type).sort()).toEqual([...KNOWN_MESSAGE_TYPES].sort());
  });

  it.each(cases)('%s', (type, fields, expected) => {
    const raw = omniResult({ type, ...fields });

    expect(toMessageEvent(raw)).toEqual({ ...common, type, ...expected, raw });
  });

  it('gives a reply only with both its id and its title, keeps the id byte for byte, and leaves it off other types', () => {
    const noId = toMessageEvent(omniResult({ type: 'INTERACTIVE_BUTTON_REPLY', title: 'Yes' }));
    const numericPayload = toMessageEvent(omniResult({ type: 'BUTTON', text: 'Yes', payload: 7 }));
    const odd = toMessageEvent(omniResult({ type: 'INTERACTIVE_LIST_REPLY', id: ' r/1+= ', title: 'A', description: '' }));
    const text = toMessageEvent(omniResult({ type: 'TEXT', text: 'hi', id: 'x', title: 'y', payload: 'z' }));

    expect(noId).not.toHaveProperty('reply');
    expect(numericPayload).not.toHaveProperty('reply');
    expect(odd.reply).toEqual({ id: ' r/1+= ', title: 'A' });
    expect(text).not.toHaveProperty('reply');
  });

  it('leaves out lifted fields of the wrong type, as every other field', () => {
    const location = toMessageEvent(
      omniResult({ type: 'LOCATION', latitude: '41.9', longitude: 12.49, url: 'https://m.example/x' }),
    );
    expect(location.location).toEqual({ longitude: 12.49, url: 'https://m.example/x' });
    const contact = toMessageEvent(omniResult({ type: 'CONTACT', contacts: ['not a card', { name: { formattedName: 'A' } }] }));
    expect(contact.contacts).toEqual([{ name: { formattedName: 'A' } }]);
    const reply = toMessageEvent(omniResult({ type: 'TEXT', text: 'hi', context: 'wamid.X', referral: [1] }));
    expect(reply).not.toHaveProperty('replyTo');
    expect(reply).not.toHaveProperty('referral');
  });

  it('lifts the replied-to message, the referral, the sender identity and the channel', () => {
    const raw = {
      ...omniResult({
        type: 'TEXT',
        text: 'About this offer',
        context: { id: 'wamid.OUT-1', from: '44123456789' },
        referral: { sourceType: 'AD', sourceUrl: 'https://fb.example/ad/1', headline: 'Offer' },
      }),
      integrationType: 'VIBER',
      contact: { name: 'Mario', userId: 'IT.abc123', username: 'mario.r' },
    };

    expect(toMessageEvent(raw)).toMatchObject({
      channel: 'VIBER',
      replyTo: { messageId: 'wamid.OUT-1', from: '44123456789' },
      referral: { sourceType: 'AD', sourceUrl: 'https://fb.example/ad/1', headline: 'Offer' },
      identity: { userId: 'IT.abc123', username: 'mario.r' },
    });
    expect(toMessageEvent(raw).identity).not.toHaveProperty('phoneNumber');
  });

  it('forwards a type nobody knows yet with the type as received, text and media when it has them', () => {
    const raw = omniResult({ type: 'HOLOGRAM', text: 'hi', url: MEDIA_URL, depth: 3 });

    expect(toMessageEvent(raw)).toEqual({ ...common, type: 'HOLOGRAM', text: 'hi', media: { url: MEDIA_URL }, raw });
  });

  it('leaves out what the result lacks, and fields that are null or of an unexpected type', () => {
    const raw = {
      messageId: 'wamid.MIN',
      from: 39123456789,
      receivedAt: null,
      message: { type: 'TEXT', text: 42 },
      contact: 'x',
    };

    expect(toMessageEvent(raw)).toEqual({ event: 'message', channel: 'WHATSAPP', messageId: 'wamid.MIN', type: 'TEXT', raw });
    const { raw: _raw, ...mapped } = toMessageEvent(raw);
    expect(JSON.stringify(mapped)).not.toContain('null');
  });

  it('reads the WhatsApp-style contacts[] (profile.name or name) when there is no contact', () => {
    const { contact: _contact, ...withoutContact } = omniResult({ type: 'TEXT', text: 'hi' });

    expect(toMessageEvent({ ...withoutContact, contacts: [{ profile: { name: 'Wa Name' }, wa_id: '39' }] }).contactName).toBe(
      'Wa Name',
    );
    expect(toMessageEvent({ ...withoutContact, contacts: [{ name: 'Plain Name' }] }).contactName).toBe('Plain Name');
    expect(toMessageEvent(withoutContact)).not.toHaveProperty('contactName');
  });

  it('does not take a shared contact card (message.contacts) for the sender', () => {
    const { contact: _contact, ...raw } = omniResult({ type: 'CONTACT', contacts: [{ name: { formattedName: 'Card' } }] });

    expect(toMessageEvent(raw)).not.toHaveProperty('contactName');
  });

  it('reads the Messages API shape: sender, destination and the first content part', () => {
    const raw = {
      event: 'MO',
      channel: 'WHATSAPP',
      sender: '39123456789',
      destination: '44123456789',
      receivedAt: '2025-02-27T15:46:00.000+0000',
      messageId: 'wamid.MAPI',
      content: [{ type: 'IMAGE', url: MEDIA_URL, caption: 'c' }],
    };

    expect(toMessageEvent(raw)).toEqual({
      event: 'message',
      channel: 'WHATSAPP',
      messageId: 'wamid.MAPI',
      from: '39123456789',
      to: '44123456789',
      receivedAt: '2025-02-27T15:46:00.000+0000',
      type: 'IMAGE',
      media: { url: MEDIA_URL, caption: 'c' },
      raw,
    });
  });
});

describe('a content array whose first part is not an object', () => {
  it.each([[''], [null], [5], [['nested']]])('(%j) is forwarded without type or text, not thrown', (part) => {
    const raw = { messageId: 'wamid.ODD', content: [part] };
    expect(toMessageEvent(raw)).toEqual({ event: 'message', channel: 'WHATSAPP', messageId: 'wamid.ODD', raw });
  });
});

describe('reports map to ctlive delivery and seen events', () => {
  const status = { groupId: 3, groupName: 'DELIVERED', id: 5, name: 'DELIVERED_TO_HANDSET', description: 'Delivered' };
  const error = { groupId: 0, groupName: 'OK', id: 0, name: 'NO_ERROR', description: 'No Error', permanent: false };

  it('a delivery report becomes a delivery event with status, error, doneAt and callbackData', () => {
    const raw = {
      bulkId: null,
      messageId: 'out-1',
      to: '39123456789',
      sentAt: '2025-02-27T15:50:00.000+0000',
      doneAt: '2025-02-27T15:50:03.000+0000',
      status,
      error,
      channel: 'WHATSAPP',
      callbackData: 'ticket-4711',
    };

    expect(toReportEvent(raw)).toEqual({
      event: 'delivery',
      messageId: 'out-1',
      to: '39123456789',
      status,
      error,
      doneAt: '2025-02-27T15:50:03.000+0000',
      callbackData: 'ticket-4711',
      raw,
    });
  });

  it('a failed delivery keeps its error; a report without callbackData has none', () => {
    const failed = { groupId: 1, groupName: 'HANDSET_ERRORS', id: 1, name: 'EC_UNKNOWN_SUBSCRIBER', permanent: true };
    const raw = { messageId: 'out-2', status: { groupName: 'REJECTED' }, error: failed, callbackData: null };

    expect(toReportEvent(raw)).toEqual({
      event: 'delivery',
      messageId: 'out-2',
      status: { groupName: 'REJECTED' },
      error: failed,
      raw,
    });
  });

  it('a seen report becomes a seen event with from, to and seenAt', () => {
    const raw = {
      messageId: 'out-1',
      from: '44123456789',
      to: '39123456789',
      sentAt: 's',
      seenAt: '2025-02-27T15:51:30.000+0000',
    };

    expect(toReportEvent(raw)).toEqual({
      event: 'seen',
      messageId: 'out-1',
      from: '44123456789',
      to: '39123456789',
      seenAt: '2025-02-27T15:51:30.000+0000',
      raw,
    });
  });

  it('a report with only a messageId is still forwarded, as a delivery event', () => {
    expect(toReportEvent({ messageId: 'out-3' })).toEqual({ event: 'delivery', messageId: 'out-3', raw: { messageId: 'out-3' } });
  });
});

describe('parseWebhookResults: the envelope is strict', () => {
  it('hands back every result, as received, in order', () => {
    const body = { results: [{ messageId: 'a' }, { messageId: 'b', x: [1] }], messageCount: 2 };

    const results = parseWebhookResults(body);

    expect(results).toHaveLength(2);
    expect(results[0]).toBe(body.results[0]);
    expect(results[1]).toBe(body.results[1]);
  });

  it.each([
    ['a string', 'hello', '(body) must be a JSON object'],
    ['null', null, '(body) must be a JSON object'],
    ['an array', [{ messageId: 'a' }], '(body) must be a JSON object'],
    ['no results', { messageCount: 1 }, 'results must be an array'],
    ['results not an array', { results: { messageId: 'a' } }, 'results must be an array'],
    ['a result that is not an object', { results: [{ messageId: 'a' }, 'b'] }, 'results.1 must be an object'],
    ['a result without messageId', { results: [{ messageId: 'a' }, { from: '39' }] }, 'results.1.messageId must be a string'],
    ['an empty messageId', { results: [{ messageId: '' }] }, 'results.0.messageId must not be empty'],
    ['a numeric messageId', { results: [{ messageId: 7 }] }, 'results.0.messageId must be a string'],
  ])('rejects %s with a 400 that says why', (_label, body, reason) => {
    let thrown: unknown;
    try {
      parseWebhookResults(body);
    } catch (error: unknown) {
      thrown = error;
    }

    expect(thrown).toBeInstanceOf(ValidationError);
    expect((thrown as ValidationError).statusCode).toBe(400);
    expect((thrown as ValidationError).message).toContain(reason);
  });
});
