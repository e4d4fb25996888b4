import { toMessageEvent } from '../../lib/inbound/events';
import { result, setupWebhooks as setup } from '../support/inboundFakes';

/**
 * The Messages API renderer (MO_MESSAGES_API_JSON): a result's `content[]` holds every part
 * of the message, a media part's `text` is its caption, and typing indicators arrive as
 * results of their own (api-evangelist/infobip, openapi/infobip-messages-api-openapi.json,
 * MessagesApiMoEvent, MessagesApiMoEventContent, MessagesApiInboundTypingStartedEvent).
 */
const FILE_1 = 'https://media.example/whatsapp/file-1';
const FILE_2 = 'https://media.example/whatsapp/file-2';

const mo = (content: unknown[]) => ({
  event: 'MO',
  channel: 'WHATSAPP',
  sender: '48123234567',
  destination: '48123098765',
  receivedAt: '2020-02-06T14:18:29.797+0000',
  messageId: 'ABEGVUGWh3gEAgo-MAPI',
  messageCount: 1,
  content,
});
const common = {
  event: 'message',
  channel: 'WHATSAPP',
  messageId: 'ABEGVUGWh3gEAgo-MAPI',
  from: '48123234567',
  to: '48123098765',
  receivedAt: '2020-02-06T14:18:29.797+0000',
};

describe('Messages API content[]: every part reaches ctlive', () => {
  it('a media part: its text is the caption, not the text', () => {
    const raw = mo([{ type: 'IMAGE', url: FILE_1, text: 'Image caption' }]);

    expect(toMessageEvent(raw)).toEqual({ ...common, type: 'IMAGE', media: { url: FILE_1, caption: 'Image caption' }, raw });
  });

  it('several files: the first at the top as before, and every part in parts[]', () => {
    const raw = mo([
      { type: 'FILE', url: FILE_1, text: 'First caption' },
      { type: 'FILE', url: FILE_2, text: 'Second caption' },
    ]);

    expect(toMessageEvent(raw)).toEqual({
      ...common,
      type: 'FILE',
      media: { url: FILE_1, caption: 'First caption' },
      parts: [
        { type: 'FILE', media: { url: FILE_1, caption: 'First caption' } },
        { type: 'FILE', media: { url: FILE_2, caption: 'Second caption' } },
      ],
      raw,
    });
  });

  it('several list options picked: each option in parts[]', () => {
    const raw = mo([
      { type: 'LIST_REPLY', text: 'First option', id: 'first' },
      { type: 'LIST_REPLY', text: 'Second option', id: 'second' },
    ]);

    expect(toMessageEvent(raw).parts).toEqual([
      { type: 'LIST_REPLY', text: 'First option' },
      { type: 'LIST_REPLY', text: 'Second option' },
    ]);
  });

  it('media with text and subject (MMS): the caption stays with the media, the text with its own part', () => {
    const raw = mo([
      { type: 'AUDIO', url: FILE_1, text: 'Audio caption' },
      { type: 'TEXT', text: 'Text message', cleanText: 'Text message' },
      { type: 'SUBJECT', text: 'KEYWORD Some subject', cleanText: 'Some subject', keyword: 'KEYWORD' },
    ]);

    const event = toMessageEvent(raw);

    expect(event).not.toHaveProperty('text');
    expect(event.media).toEqual({ url: FILE_1, caption: 'Audio caption' });
    expect(event.parts).toEqual([
      { type: 'AUDIO', media: { url: FILE_1, caption: 'Audio caption' } },
      { type: 'TEXT', text: 'Text message' },
      { type: 'SUBJECT', text: 'KEYWORD Some subject' },
    ]);
  });

  it('a part that is not an object is skipped, the others kept', () => {
    const raw = mo([null, { type: 'TEXT', text: 'hi' }, 'odd']);

    expect(toMessageEvent(raw)).toEqual({ ...common, type: 'TEXT', text: 'hi', raw });
  });

  it('a URL part is a shared link: its url is text, never media to download', () => {
    const raw = mo([{ type: 'URL', url: 'https://shop.example/item' }]);

    expect(toMessageEvent(raw)).toEqual({ ...common, type: 'URL', text: 'https://shop.example/item', raw });
  });

  it('a location part keeps its map link out of media', () => {
    const raw = mo([{ type: 'LOCATION', latitude: 16, longitude: 18, url: 'https://maps.example/x' }]);

    expect(toMessageEvent(raw)).toEqual({
      ...common,
      type: 'LOCATION',
      location: { latitude: 16, longitude: 18, url: 'https://maps.example/x' },
      raw,
    });
  });
});

describe('Messages API typing indicators', () => {
  const typing = (event: string, messageId: string) => ({
    event,
    channel: 'APPLE_MB',
    sender: '48123234567',
    destination: '48123098765',
    receivedAt: '2020-02-06T14:18:29.797+0000',
    messageId,
  });

  it('are answered 200, not forwarded, with an INFO line each; the messages beside them go through', async () => {
    const t = setup();

    const res = await t.message({ results: [typing('TYPING_STARTED', 't-1'), result('m-1'), typing('TYPING_STOPPED', 't-2')] });

    expect(res).toEqual({ status: 200, body: { forwarded: 1, duplicates: 0, ignored: 2 } });
    expect(t.forwarder.sent.map((e) => e.messageId)).toEqual(['m-1']);
    expect(t.lines).toContain(
      '[IMCHANNEL] [onMessage] TYPING_STARTED for messageId [t-1]: a typing indicator, not forwarded to ctlive',
    );
    expect(t.lines).toContain(
      '[IMCHANNEL] [onMessage] TYPING_STOPPED for messageId [t-2]: a typing indicator, not forwarded to ctlive',
    );
  });

  it('a body of typing indicators only costs no Redis round trip', async () => {
    const t = setup();

    const res = await t.message({ results: [typing('TYPING_STARTED', 't-1')] });

    expect(res).toEqual({ status: 200, body: { forwarded: 0, duplicates: 0, ignored: 1 } });
    expect(t.dedupe.roundTrips).toBe(0);
    expect(t.forwarder.sent).toEqual([]);
  });
});
