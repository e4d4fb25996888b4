import { readdirSync, readFileSync } from 'node:fs';
import { memoryIdempotency } from '../support/idempotencyFake';
import { join } from 'node:path';
import type { HttpEvent } from '../../lib/platform/http';
import { createInfobipClient } from '../../lib/outbound/infobip';
import { createLogger } from '../../lib/platform/log';
import { MEDIA_KIND_NAMES, MEDIA_KINDS, type MediaKind } from '../../lib/media/kinds';
import { makeFetchMediaHandler } from '../../lib/media/fetch';
import { makeSendMediaHandler } from '../../lib/media/send';
import { captureLines, lambdaContext } from '../support/lambda';
import { fakeMediaStore } from '../support/mediaStoreFake';
import { acceptedAnswer } from '../support/infobipAnswers';

const EVENTS = join(__dirname, '../../events');
const NAME = /^(sendWhatsApp|onGet)(Image|Document|Audio|Video|Sticker)Message-(\d{3})-.+\.json$/;
const files = readdirSync(EVENTS).filter((name) => NAME.test(name));

/** The ids the fetch events name, as if a send had stored them (see docs/api.md, "Event files"). */
const STORED: Record<MediaKind, string> = {
  image: 'bb8b8717-5b71-45a7-be04-af9cb746661b',
  document: '0c2f6a3e-8d1b-4f5a-9e7c-2b4d6f8a1c3e',
  audio: '5e9d3c1b-7a2f-4e6d-8b0a-1c3e5f7a9b2d',
  video: '9a7b5c3d-1e2f-4a6b-8c0d-2e4f6a8b0c1e',
  sticker: '3c5e7a9b-1d2f-4b6c-8e0a-4b6d8f0a2c4e',
};
const media = { ttlSeconds: 86_400, fetchTtlSeconds: 60, maxBytes: 4 * 1024 * 1024 };

function handlerFor(direction: string, kind: MediaKind) {
  const spec = MEDIA_KINDS[kind];
  const fake = fakeMediaStore();
  for (const [storedKind, id] of Object.entries(STORED)) {
    void fake.store.put(
      id,
      { kind: storedKind as MediaKind, contentType: 'application/octet-stream', fileName: 'f.bin', content: 'AAEC' },
      60,
    );
  }
  const sink = captureLines().sink;
  if (direction === 'onGet') {
    return makeFetchMediaHandler(spec, {
      log: createLogger(spec.fetchTag, { format: 'text', level: 'INFO', sink }),
      store: fake.store,
      media,
    });
  }
  const fakeFetch = (async (url: string) => acceptedAnswer(url)) as unknown as typeof fetch;
  return makeSendMediaHandler(spec, {
    idempotency: memoryIdempotency(),
    log: createLogger(spec.sendTag, { format: 'text', level: 'INFO', sink }),
    infobip: createInfobipClient({ timeoutMs: 1_000, fetch: fakeFetch }),
    infobipConfig: {
      defaults: { baseUrl: 'https://xxxx.api.infobip.com', apiKey: 'k-0123456789', scenarioKey: 'S', sender: '447860099299' },
      allowedHosts: ['*.api.infobip.com'],
      timeoutMs: 1_000,
    },
    publicUrl: 'http://127.0.0.1:3000/imchannel',
    ctliveApiToken: 'imchannel-local-token',
    store: fake.store,
    media,
  });
}

/** The events/ files are what `serverless invoke local` runs: each answers the status in its name. */
describe('events/sendWhatsApp*Message-*.json and events/onGet*Message-*.json', () => {
  it('cover every kind in both directions, success and bad input', () => {
    for (const kind of MEDIA_KIND_NAMES) {
      const { sendTag, fetchTag } = MEDIA_KINDS[kind];
      for (const prefix of [`${sendTag}-200-`, `${sendTag}-415-`, `${fetchTag}-200-`, `${fetchTag}-404-`]) {
        expect(files.some((file) => file.startsWith(prefix))).toBe(true);
      }
    }
    for (const status of ['400', '401', '413']) expect(files.some((file) => file.includes(`Message-${status}-`))).toBe(true);
  });

  it.each(files)('%s', async (file) => {
    const [, direction = '', name = '', status = ''] = NAME.exec(file) ?? [];
    const event = JSON.parse(readFileSync(join(EVENTS, file), 'utf8')) as HttpEvent;
    const handler = handlerFor(direction, name.toLowerCase() as MediaKind);

    const res = await handler(event, lambdaContext(`${direction}${name}Message`));

    expect(res.statusCode).toBe(Number(status));
    if (direction === 'onGet' && res.statusCode === 200) {
      const isHead = event.requestContext.http.method === 'HEAD';
      expect({ body: isHead ? res.body : 'bytes', isBase64Encoded: Boolean(res.isBase64Encoded) }).toEqual(
        isHead ? { body: '', isBase64Encoded: false } : { body: 'bytes', isBase64Encoded: true },
      );
    }
  });
});
