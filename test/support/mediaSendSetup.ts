import { notifyUrlFor } from '../../lib/platform/config';
import { memoryIdempotency } from './idempotencyFake';
import { createInfobipClient } from '../../lib/outbound/infobip';
import { createLogger } from '../../lib/platform/log';
import { MEDIA_KINDS, type MediaKind } from '../../lib/media/kinds';
import { makeSendMediaHandler } from '../../lib/media/send';
import { apiEvent, captureLines, lambdaContext } from './lambda';
import { fakeMediaStore } from './mediaStoreFake';
import { sampleFile } from './sampleFile';
import { acceptedAnswer } from './infobipAnswers';

/** A send handler of one kind over a fake store and a fake Infobip, for unit tests. */
export const TOKEN = 'ctlive-token-0123456789';
export const API_KEY = 'infobip-key-abcdef0123456789';
export const BASE_URL = 'https://xxxx.api.infobip.com';
export const PUBLIC_URL = 'https://siotunnel.ei.eilabonline.biz/tenantname/imchannel';
export const REPORT_TOKEN = 'report-token-0123456789abcdef0123456789';
export const MAX_BYTES = 3000;
/** The business number: the WhatsApp API's `from` (a sticker goes through it whatever the default). */
export const SENDER = '447860099299';
export const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/;

export const TYPES: Record<MediaKind, string> = {
  image: 'image/png',
  document: 'application/pdf',
  audio: 'audio/ogg; codecs=opus',
  video: 'video/mp4',
  sticker: 'image/webp',
};

export interface Call {
  url: string;
  init: RequestInit;
}

export function setupSend(kind: MediaKind, answer: (call: Call) => Promise<Response> | Response = ok) {
  const fake = fakeMediaStore();
  const calls: Call[] = [];
  const fakeFetch = (async (url: string, init: RequestInit) => {
    const call = { url, init };
    calls.push(call);
    // What Infobip would find if it fetched the URL right now.
    fake.calls.push(`infobip called with ${fake.values.size} stored`);
    return answer(call);
  }) as unknown as typeof fetch;
  const { lines, sink } = captureLines();
  const tag = MEDIA_KINDS[kind].sendTag;
  const log = createLogger(tag, { format: 'text', level: 'INFO', sink, secrets: [TOKEN, REPORT_TOKEN] });
  const handler = makeSendMediaHandler(MEDIA_KINDS[kind], {
    idempotency: memoryIdempotency(),
    log,
    infobip: createInfobipClient({ timeoutMs: 200, fetch: fakeFetch }),
    infobipConfig: { defaults: {}, allowedHosts: ['*.api.infobip.com'], timeoutMs: 200 },
    publicUrl: PUBLIC_URL,
    notifyUrl: notifyUrlFor(PUBLIC_URL, { INFOBIP_REPORT_TOKEN: REPORT_TOKEN }),
    ctliveApiToken: TOKEN,
    store: fake.store,
    media: { ttlSeconds: 86_400, fetchTtlSeconds: 60, maxBytes: MAX_BYTES },
  });
  const send = async (body: unknown, headers: Record<string, string> = { authorization: `Bearer ${TOKEN}` }, raw = false) => {
    const result = await handler(apiEvent({ body, headers, rawBody: raw }), lambdaContext(tag));
    return { status: result.statusCode, body: JSON.parse(String(result.body)) };
  };
  const sentWhatsApp = () => JSON.parse(String(calls[0]?.init.body)).whatsApp as Record<string, string>;
  return { ...fake, infobipCalls: calls, lines, send, sentWhatsApp };
}

/** Infobip's 200 in the shape of the API the call went to (OMNI, or the WhatsApp API for a sticker). */
export const ok = (call?: Call) => (call === undefined ? acceptedAnswer('/omni/1/advanced') : acceptedAnswer(call.url));
/** A file of each kind's type in TYPES; 1501 bytes, not a multiple of 3: its base64 ends in padding. */
export const FILES = Object.fromEntries(Object.entries(TYPES).map(([kind, type]) => [kind, sampleFile(type, 1501)])) as Record<
  MediaKind,
  Buffer
>;
export const bodyFor = (kind: MediaKind, extra: Record<string, unknown> = {}) => ({
  to: '39123456789',
  fileName: 'NFO_resized.jpg',
  contentType: TYPES[kind],
  content: FILES[kind].toString('base64'),
  infobip: {
    baseUrl: BASE_URL,
    apiKey: API_KEY,
    scenarioKey: 'a8b1bf3c-492e-4d5e-a467-62450f3469d8',
    sender: SENDER,
  },
  ...extra,
});
