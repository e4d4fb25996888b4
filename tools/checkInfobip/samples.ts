/**
 * One valid request of each kind the sandbox takes, for `npm run check:infobip`'s self-test:
 * each is sent through a sandbox, recorded, then held against the published spec, so the
 * sandbox's own idea of "valid" is checked against Infobip's.
 */
const SENDER = '44123456789';
const TO = '39123456789';
const send = (content: unknown, extra: Record<string, unknown> = {}) => ({ from: SENDER, to: TO, content, ...extra });
const media = (name: string) => `https://example.com/media/${name}`;

export const SAMPLES: { method: 'POST'; path: string; body?: unknown }[] = [
  {
    method: 'POST',
    path: '/omni/1/advanced',
    body: { scenarioKey: 'SCENARIO', destinations: [{ to: { phoneNumber: TO } }], whatsApp: { text: 'Hello' } },
  },
  {
    method: 'POST',
    path: '/whatsapp/1/message/text',
    body: send(
      { text: 'Hello', previewUrl: false },
      { messageId: 'm-1', callbackData: 'cb', notifyUrl: 'https://example.com/r', context: { replyToMessageId: 'wamid.X=' } },
    ),
  },
  { method: 'POST', path: '/whatsapp/1/message/image', body: send({ mediaUrl: media('a.png'), caption: 'A picture' }) },
  {
    method: 'POST',
    path: '/whatsapp/1/message/document',
    body: send({ mediaUrl: media('a.pdf'), caption: 'Offer', filename: 'Offer.pdf' }),
  },
  { method: 'POST', path: '/whatsapp/1/message/audio', body: send({ mediaUrl: media('a.ogg'), voice: true }) },
  { method: 'POST', path: '/whatsapp/1/message/video', body: send({ mediaUrl: media('a.mp4'), caption: 'Clip' }) },
  { method: 'POST', path: '/whatsapp/1/message/sticker', body: send({ mediaUrl: media('a.webp') }) },
  {
    method: 'POST',
    path: '/whatsapp/1/message/location',
    body: send({ latitude: 45.4642, longitude: 9.19, name: 'Duomo', address: 'Piazza del Duomo' }),
  },
  {
    method: 'POST',
    path: '/whatsapp/1/message/contact',
    body: send({
      contacts: [
        {
          name: { firstName: 'Mario', formattedName: 'Mario Rossi' },
          phones: [{ phone: '+39 02 1', type: 'WORK', waId: '39021' }],
        },
      ],
    }),
  },
  {
    method: 'POST',
    path: '/whatsapp/1/message/template',
    body: {
      messages: [
        send({
          templateName: 'welcome_offer',
          templateData: {
            body: { placeholders: ['Mario'] },
            header: { type: 'IMAGE', mediaUrl: media('offer.png') },
            buttons: [{ type: 'URL', parameter: 'abc' }],
          },
          language: 'en',
        }),
        send({
          templateName: 'invoice_ready',
          templateData: {
            body: { placeholders: ['42'] },
            header: { type: 'DOCUMENT', mediaUrl: media('i.pdf'), filename: 'i.pdf' },
          },
          language: 'en',
        }),
      ],
      bulkId: 'bulk-1',
    },
  },
  {
    method: 'POST',
    path: '/whatsapp/1/message/interactive/buttons',
    body: send({
      body: { text: 'Shall we?' },
      action: {
        buttons: [
          { type: 'REPLY', id: 'yes', title: 'Yes' },
          { type: 'REPLY', id: 'no', title: 'No' },
        ],
      },
      header: { type: 'DOCUMENT', mediaUrl: media('h.pdf'), filename: 'h.pdf' },
      footer: { text: 'Footer' },
    }),
  },
  {
    method: 'POST',
    path: '/whatsapp/1/message/interactive/list',
    body: send({
      body: { text: 'Pick one' },
      action: {
        title: 'Options',
        sections: [
          { title: 'A', rows: [{ id: 'a1', title: 'First', description: 'The first' }] },
          { title: 'B', rows: [{ id: 'b1', title: 'Second' }] },
        ],
      },
      header: { type: 'TEXT', text: 'Header' },
    }),
  },
  {
    method: 'POST',
    path: '/whatsapp/1/message/interactive/url-button',
    body: send({
      body: { text: 'See it' },
      action: { displayText: 'Open', url: 'https://example.com/x' },
      header: { type: 'IMAGE', mediaUrl: media('h.png') },
    }),
  },
  {
    method: 'POST',
    path: '/whatsapp/1/events',
    body: { events: [{ sender: SENDER, destinations: [{ to: TO }], content: { type: 'TYPING_INDICATOR' } }] },
  },
  { method: 'POST', path: `/whatsapp/1/senders/${SENDER}/message/${encodeURIComponent('wamid.SAMPLE+/=')}/read` },
];

/** The inbound message the mark-as-read sample names, for the sandbox to know it. */
export const SAMPLE_INBOUND_ID = 'wamid.SAMPLE+/=';
