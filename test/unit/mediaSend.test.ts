import { reportTokenFor } from '../../lib/platform/reportToken';
import { createHash } from 'node:crypto';
import { MEDIA_KINDS, MEDIA_KIND_NAMES } from '../../lib/media/kinds';
import { OMNI_MAPPING } from '../../lib/outbound/transports/omni';
import { decodeEntry } from '../../lib/media/format';
import {
  API_KEY,
  BASE_URL,
  PUBLIC_URL,
  REPORT_TOKEN,
  TOKEN,
  TYPES,
  UUID,
  bodyFor,
  FILES,
  setupSend as setup,
} from '../support/mediaSendSetup';
import omniSendResponse from '../fixtures/infobip/infobip-omni-send.response.json';
import omniImageRequest from '../fixtures/infobip/infobip-omni-send-image.request.json';
import omniError from '../fixtures/infobip/infobip-omni-error.response.json';
import omniRejected from '../fixtures/infobip/infobip-omni-send-rejected.response.json';

/** The requests' own Infobip account: the set-up deployment has no INFOBIP_BASE_URL. */
const ACCOUNT = new URL(BASE_URL).host;

describe.each(MEDIA_KIND_NAMES)('send %s', (kind) => {
  const spec = MEDIA_KINDS[kind];

  it('stores the file before calling Infobip, sends its URL, and answers with mediaId and mediaUrl', async () => {
    const { values, calls, send, infobipCalls } = setup(kind);

    const res = await send(bodyFor(kind));

    expect(res.status).toBe(200);
    const { mediaId } = res.body;
    expect(mediaId).toMatch(UUID);
    expect(res.body).toEqual({
      messageId: '6920cb18-8b18-4172-9de7-514e2aac9ef1',
      to: '39123456789',
      status: omniSendResponse.messages[0]?.status,
      transport: OMNI_MAPPING[kind] === undefined ? 'whatsapp' : 'omni',
      mediaId,
      mediaUrl: `${PUBLIC_URL}/${spec.route}/${mediaId}`,
    });
    expect(calls).toEqual([`put ${mediaId} 86400`, 'infobip called with 1 stored']);
    expect(infobipCalls).toHaveLength(1);
    const stored = decodeEntry(values.get(mediaId)?.value ?? '');
    expect(stored).toEqual({
      kind,
      contentType: TYPES[kind],
      fileName: 'NFO_resized.jpg',
      content: FILES[kind].toString('base64'),
    });
    expect(
      createHash('sha256')
        .update(Buffer.from(stored?.content ?? '', 'base64'))
        .digest('hex'),
    ).toBe(createHash('sha256').update(FILES[kind]).digest('hex'));
  });

  // OMNI's whatsApp object; a kind only the WhatsApp API carries is tested in whatsAppTransport.test.ts.
  if (OMNI_MAPPING[kind] !== undefined)
    it(`puts the URL in the whatsApp field of the kind${kind === 'audio' ? ', without text' : ', with the caption or the file name as text'}`, async () => {
      const plain = setup(kind);
      const captioned = setup(kind);
      const emptyCaption = setup(kind);

      const r1 = await plain.send(bodyFor(kind));
      const r2 = await captioned.send(bodyFor(kind, { caption: 'Look at this' }));
      await emptyCaption.send(bodyFor(kind, { caption: '' }));

      const field = { image: 'imageUrl', document: 'fileUrl', audio: 'audioUrl', video: 'videoUrl', sticker: 'none' }[kind];
      const expected = (text: string, url: string) => (kind === 'audio' ? { [field]: url } : { text, [field]: url });
      expect(plain.sentWhatsApp()).toEqual(expected('NFO_resized.jpg', r1.body.mediaUrl));
      expect(captioned.sentWhatsApp()).toEqual(expected('Look at this', r2.body.mediaUrl));
      expect(emptyCaption.sentWhatsApp().text).toBe(kind === 'audio' ? undefined : 'NFO_resized.jpg');
    });

  it('answers 415 for a type another kind allows, and stores and sends nothing', async () => {
    const other = kind === 'image' ? 'application/pdf' : 'image/png';
    const { calls, send } = setup(kind);

    const res = await send(bodyFor(kind, { contentType: other }));

    expect(res.status).toBe(415);
    expect(res.body.error).toMatchObject({ code: 'UNSUPPORTED_MEDIA_TYPE', allowed: [...spec.contentTypes] });
    expect(calls).toEqual([]);
  });
});

describe('send: the runbook lines', () => {
  it('logs exactly the request and response lines, tagged with the function', async () => {
    const { infobipCalls, lines, send, sentWhatsApp } = setup('image');

    const res = await send(bodyFor('image'));

    const sent = JSON.parse(String(infobipCalls[0]?.init.body)) as { destinations: { messageId: string }[]; notifyUrl: string };
    const { messageId } = sent.destinations[0] as { messageId: string };
    const destinations = [{ ...omniImageRequest.destinations[0], messageId }];
    const payload = {
      ...omniImageRequest,
      destinations,
      whatsApp: sentWhatsApp(),
      notifyUrl: `${PUBLIC_URL}/onDeliveryReport?account=${ACCOUNT}&token=***`,
    };
    // Infobip gets the report token, bound to the message's id and its account (the request
    // names one the deployment does not have); the log line only its place.
    expect(sent.notifyUrl).toBe(
      `${PUBLIC_URL}/onDeliveryReport?account=${ACCOUNT}&token=${reportTokenFor(REPORT_TOKEN, messageId, ACCOUNT)}`,
    );
    expect(payload.whatsApp).toEqual({ text: 'NFO_resized.jpg', imageUrl: res.body.mediaUrl });
    expect(lines).toEqual([
      `[IMCHANNEL] [sendWhatsAppImageMessage] request to [${BASE_URL}/omni/1/advanced] Data [${JSON.stringify(payload)}] with api key header`,
      `[IMCHANNEL] [sendWhatsAppImageMessage] response of [${BASE_URL}/omni/1/advanced]: ${JSON.stringify(omniSendResponse)}`,
    ]);
  });
});

describe('send: failures', () => {
  it('answers 503 and does not call Infobip when Redis is down', async () => {
    const { setDown, send, infobipCalls } = setup('video');
    setDown(true);
    const res = await send(bodyFor('video'));
    expect(res.status).toBe(503);
    expect(res.body.error.code).toBe('REDIS_UNAVAILABLE');
    expect(infobipCalls).toHaveLength(0);
  });

  it('a SET that ran although its reply was lost is deleted, retrying while Redis is still away', async () => {
    const { values, calls, send, infobipCalls, loseNextPutReply } = setup('document');
    loseNextPutReply(2); // Redis comes back for the third DEL, a second or two later

    const res = await send(bodyFor('document'));

    expect(res.status).toBe(503);
    expect(res.body.error.code).toBe('REDIS_UNAVAILABLE');
    expect(calls.filter((c) => c.startsWith('remove '))).toHaveLength(3);
    expect(values.size).toBe(0);
    expect(infobipCalls).toHaveLength(0);
  });

  it('answers 502 and deletes the stored file when Infobip refuses the message', async () => {
    const { values, calls, send } = setup('image', () => new Response(JSON.stringify(omniError), { status: 400 }));
    const res = await send(bodyFor('image'));
    expect(res.status).toBe(502);
    expect(res.body.error).toMatchObject({ code: 'INFOBIP_ERROR', upstreamStatus: 400 });
    expect(calls.at(-1)).toMatch(/^remove /);
    expect(values.size).toBe(0);
  });

  it('answers 422 INFOBIP_REJECTED and deletes the stored file when Infobip answers 200 with a REJECTED status', async () => {
    const { values, calls, send } = setup('image', () => new Response(JSON.stringify(omniRejected), { status: 200 }));
    const res = await send(bodyFor('image'));
    expect(res.status).toBe(422);
    expect(res.body.error).toMatchObject({
      code: 'INFOBIP_REJECTED',
      status: { groupName: 'REJECTED', name: 'REJECTED_DESTINATION_NOT_REGISTERED' },
    });
    expect(calls.at(-1)).toMatch(/^remove /);
    expect(values.size).toBe(0);
  });

  it('still answers 502 when the file cannot be deleted, and says so in the log', async () => {
    const fake = setup('image', () => {
      fake.setDown(true);
      return new Response(JSON.stringify(omniError), { status: 400 });
    });
    const res = await fake.send(bodyFor('image', { messageId: 'm-9' }));
    expect(res.status).toBe(502);
    expect(fake.lines.join('\n')).toContain('Could not delete the file of a refused message (messageId [m-9])');
  });

  it('keeps the file when Infobip times out, since Infobip may still fetch it', async () => {
    const { values, send } = setup(
      'image',
      (call) =>
        new Promise<Response>((_resolve, reject) =>
          call.init.signal?.addEventListener('abort', () => reject(call.init.signal?.reason)),
        ),
    );
    const res = await send(bodyFor('image'));
    expect(res.status).toBe(504);
    expect(values.size).toBe(1);
  });

  it('never logs the file content, the API key or the token, whatever happens', async () => {
    const marked = Buffer.concat([FILES.image, Buffer.from('SECRET-FILE-CONTENT-'.repeat(20))]).toString('base64');
    const refusing = setup('image', () => new Response(JSON.stringify(omniError), { status: 400 }));
    const accepting = setup('image');
    await accepting.send(bodyFor('image', { content: marked }));
    await refusing.send(bodyFor('image', { content: marked }));
    await refusing.send(bodyFor('image', { content: `${marked}!` }));
    await refusing.send(bodyFor('image', { content: marked, contentType: 'image/gif' }));
    const all = [...accepting.lines, ...refusing.lines].join('\n');
    expect(refusing.lines.length).toBeGreaterThan(3);
    expect(all).not.toContain(marked.slice(40, 80));
    expect(all).not.toContain('SECRET-FILE-CONTENT');
    expect(all).not.toContain(API_KEY);
    expect(all).not.toContain(TOKEN);
  });
});
