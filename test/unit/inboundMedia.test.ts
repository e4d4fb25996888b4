/**
 * Customers' files (lib/inboundMedia): how IMChannel names them, the webhook's one step, and
 * the download's rules on where the Infobip API key may go. The copy against a real S3 and
 * Redis is test/integration/inboundMedia.test.ts.
 */
import { createHash } from 'node:crypto';
import type { InboundMediaConfig } from '../../lib/platform/config';
import type { CtliveMessageEvent } from '../../lib/inbound/events';
import { makeOnMessageHandler } from '../../lib/inbound/webhook';
import { createLogger } from '../../lib/platform/log';
import { checkLink, linksOf, sourceOf, sourceOfId } from '../../lib/inboundMedia/reference';
import { createInboundMediaStep, type CopyRequest } from '../../lib/inboundMedia/step';
import { downloadInbound, PermanentCopyFailure, TransientCopyFailure } from '../../lib/inboundMedia/download';
import { copyInboundMedia, type CopierDeps } from '../../lib/inboundMedia/copy';
import type { ObjectStorage } from '../../lib/media/objects';
import type { Redis } from '@upstash/redis';
import { BASIC, PASSWORD, fakeForwarder, memoryDedupe } from '../support/inboundFakes';
import { apiEvent, captureLines, lambdaContext } from '../support/lambda';

const HOST = 'abc123.api.infobip.com';
const SOURCE = `https://${HOST}/whatsapp/1/senders/44123456789/media/7a5e1f0c-2d3b-4c5d-9e8f-0a1b2c3d4e5f`;
const CONFIG: InboundMediaConfig = {
  publicUrl: 'https://api.example.com/imchannel',
  linkSecret: 'link-secret-0123456789-0123456789-abcdef',
  linkTtlSeconds: 3_600,
  allowedHosts: ['*.api.infobip.com'],
};
const API_KEY = 'infobip-key-0123456789';

describe('sourceOf: which URLs the Infobip key may follow', () => {
  it("takes Infobip's inbound media URL on an allowed host and names it by a reversible id", () => {
    const source = sourceOf(SOURCE, CONFIG.allowedHosts);
    if (typeof source === 'string') throw new Error(source);
    expect(source).toMatchObject({ sender: '44123456789', mediaId: '7a5e1f0c-2d3b-4c5d-9e8f-0a1b2c3d4e5f' });
    expect(source.id).toMatch(/^[A-Za-z0-9_-]+$/);
    expect(sourceOfId(source.id, CONFIG.allowedHosts)?.url.href).toBe(SOURCE);
  });

  it.each([
    ['another host', SOURCE.replace(HOST, 'attacker.example.com'), 'HOST_NOT_ALLOWED'],
    ['the bare domain of the wildcard', SOURCE.replace(HOST, 'api.infobip.com'), 'HOST_NOT_ALLOWED'],
    ['plain http off this machine', SOURCE.replace('https:', 'http:'), 'HOST_NOT_ALLOWED'],
    ['another path', `https://${HOST}/omni/1/advanced`, 'NOT_INFOBIP_MEDIA_URL'],
    ['a query string', `${SOURCE}?x=1`, 'NOT_INFOBIP_MEDIA_URL'],
    ['credentials in the URL', SOURCE.replace('https://', 'https://u:p@'), 'NOT_INFOBIP_MEDIA_URL'],
    ['no URL at all', 'not a url', 'NOT_INFOBIP_MEDIA_URL'],
  ])('refuses %s', (_what, url, reason) => {
    expect(sourceOf(url, CONFIG.allowedHosts)).toBe(reason);
  });

  it('reads back no id that names a host off the allowlist', () => {
    const forged = Buffer.from(SOURCE.replace(HOST, 'attacker.example.com')).toString('base64url');
    expect(sourceOfId(forged, CONFIG.allowedHosts)).toBeUndefined();
    expect(sourceOfId('not base64url!', CONFIG.allowedHosts)).toBeUndefined();
  });
});

describe('download links', () => {
  const id = (sourceOf(SOURCE, CONFIG.allowedHosts) as { id: string }).id;
  const query = (url: string) => Object.fromEntries(new URL(url).searchParams) as { expires: string; signature: string };

  it('signs a link that opens until it expires, and only for its own id', () => {
    const now = Date.parse('2026-12-07T10:00:00Z');
    const { url, downloadUrl } = linksOf(CONFIG, id, now);
    expect(url).toBe(`${CONFIG.publicUrl}/inboundMedia/${id}`);
    const { expires, signature } = query(downloadUrl);
    expect(Number(expires)).toBe(now / 1000 + CONFIG.linkTtlSeconds);
    expect(checkLink(CONFIG, id, expires, signature, now)).toBe('valid');
    expect(checkLink(CONFIG, id, expires, signature, now + CONFIG.linkTtlSeconds * 1000 + 1000)).toBe('expired');
    expect(checkLink(CONFIG, `${id}A`, expires, signature, now)).toBe('invalid');
    expect(checkLink(CONFIG, id, String(Number(expires) + 1), signature, now)).toBe('invalid');
    expect(checkLink({ ...CONFIG, linkSecret: `${CONFIG.linkSecret}x` }, id, expires, signature, now)).toBe('invalid');
  });
});

describe('onMessage with inbound files copied', () => {
  function setup(fail = false) {
    const requests: CopyRequest[] = [];
    const order: string[] = [];
    const forwarder = fakeForwarder();
    const forward = forwarder.forward.bind(forwarder);
    forwarder.forward = async (event) => {
      order.push(`forward ${event.messageId}`);
      return forward(event);
    };
    const trigger = {
      async request(batch: readonly CopyRequest[]) {
        order.push(`copy ${batch.map((r) => r.messageId).join(',')}`);
        if (fail) throw new Error('Lambda is down');
        requests.push(...batch);
      },
    };
    const dedupe = memoryDedupe();
    const handler = makeOnMessageHandler({
      log: createLogger('onMessage', { format: 'text', level: 'INFO', sink: captureLines().sink, secrets: [PASSWORD] }),
      auth: { basic: { username: 'infobip', password: PASSWORD } },
      dedupe,
      forwarder,
      inboundMedia: createInboundMediaStep(CONFIG, trigger),
    });
    const post = async (results: unknown[]) => {
      const res = await handler(apiEvent({ body: { results }, headers: BASIC }), lambdaContext());
      return res.statusCode;
    };
    return { requests, order, forwarder, dedupe, post };
  }
  const photo = (messageId: string, url = SOURCE) => ({
    from: '39123456789',
    to: '44123456789',
    messageId,
    message: { type: 'IMAGE', url, caption: 'my receipt' },
  });

  it("gives ctlive IMChannel's links, keeps Infobip's as sourceUrl, and asks for the copy before forwarding", async () => {
    const { requests, order, forwarder, post } = setup();
    expect(await post([photo('m-1')])).toBe(200);
    const event = forwarder.sent[0] as CtliveMessageEvent;
    const id = (sourceOf(SOURCE, CONFIG.allowedHosts) as { id: string }).id;
    expect(event.media).toEqual({
      url: `${CONFIG.publicUrl}/inboundMedia/${id}`,
      downloadUrl: expect.stringMatching(new RegExp(`^${CONFIG.publicUrl}/inboundMedia/${id}\\?expires=\\d+&signature=`)),
      sourceUrl: SOURCE,
      caption: 'my receipt',
    });
    expect(requests).toEqual([
      expect.objectContaining({ id, sourceUrl: SOURCE, type: 'IMAGE', messageId: 'm-1', from: '39123456789', to: '44123456789' }),
    ]);
    expect(order).toEqual(['copy m-1', 'forward m-1']);
  });

  it('answers 503 and forwards nothing when the copy cannot be asked for, so that Infobip retries', async () => {
    const { forwarder, dedupe, post } = setup(true);
    expect(await post([photo('m-2')])).toBe(503);
    expect(forwarder.sent).toEqual([]);
    expect(dedupe.state.get('message:m-2')).toBeUndefined(); // released for the retry
  });

  it('never names a file off the allowlist as its own, and still asks the copier to say so', async () => {
    const forged = SOURCE.replace(HOST, 'attacker.example.com');
    const { requests, forwarder, post } = setup();
    expect(await post([photo('m-3', forged)])).toBe(200);
    expect((forwarder.sent[0] as CtliveMessageEvent).media).toEqual({ sourceUrl: forged, caption: 'my receipt' });
    expect(requests).toEqual([expect.objectContaining({ sourceUrl: forged, messageId: 'm-3' })]);
    expect(requests[0]?.id).toBeUndefined();
  });

  it('never asks for a copy of a file Infobip flagged as infected', async () => {
    const { requests, forwarder, post } = setup();
    expect(await post([{ ...photo('m-6'), message: { type: 'INFECTED_CONTENT', url: SOURCE } }])).toBe(200);
    expect(requests).toEqual([]);
    expect((forwarder.sent[0] as CtliveMessageEvent).media).toBeUndefined();
  });

  it('leaves messages without a file alone and costs the webhook no Redis round trip more', async () => {
    const { requests, dedupe, post } = setup();
    expect(await post([{ ...photo('m-4'), message: { type: 'TEXT', text: 'hello' } }, photo('m-5')])).toBe(200);
    expect(requests.map((r) => r.messageId)).toEqual(['m-5']);
    expect(dedupe.roundTrips).toBe(2); // the claim and the settle, as without files
  });
});

/** A fetch that answers from a table by URL and records what each request carried. */
function fakeFetch(answers: Record<string, () => Response>) {
  const calls: { url: string; authorization?: string; redirect?: string }[] = [];
  const fetchImpl = (async (input: string | URL | Request, init?: RequestInit) => {
    const url = String(input);
    const headers = new Headers(init?.headers);
    calls.push({ url, authorization: headers.get('authorization') ?? undefined, redirect: init?.redirect });
    const answer = answers[`${init?.method ?? 'GET'} ${url}`] ?? answers[url];
    if (answer === undefined) throw new TypeError('fetch failed');
    return answer();
  }) as typeof fetch;
  return { calls, fetchImpl };
}

const JPEG = Buffer.concat([Buffer.from([0xff, 0xd8, 0xff, 0xe0]), Buffer.alloc(2000, 7)]);
const limiter = { take: async () => undefined };

describe('downloadInbound', () => {
  const source = sourceOf(SOURCE, CONFIG.allowedHosts) as Exclude<ReturnType<typeof sourceOf>, string>;
  const CDN = 'https://cdn.example.net/file/abc';
  const file =
    (bytes: Buffer, type = 'image/jpeg') =>
    () =>
      new Response(bytes, { status: 200, headers: { 'content-type': type, 'content-length': String(bytes.length) } });

  it('sends the key to Infobip only, and follows one redirect without it', async () => {
    const { calls, fetchImpl } = fakeFetch({
      [SOURCE]: () => new Response(null, { status: 302, headers: { location: CDN } }),
      [CDN]: file(JPEG),
    });
    const download = await downloadInbound(source, 'IMAGE', { apiKey: API_KEY, limiter, fetch: fetchImpl });
    expect(download).toMatchObject({ size: JPEG.length, contentType: 'image/jpeg', redirected: true });
    await download.body.cancel();
    expect(calls).toEqual([
      { url: SOURCE, authorization: `App ${API_KEY}`, redirect: 'manual' },
      { url: CDN, authorization: undefined, redirect: 'manual' },
    ]);
  });

  it.each([
    [
      'a redirect to plain http',
      { [SOURCE]: () => new Response(null, { status: 302, headers: { location: 'http://cdn.example.net/f' } }) },
    ],
    [
      'a second redirect',
      {
        [SOURCE]: () => new Response(null, { status: 302, headers: { location: CDN } }),
        [CDN]: () => new Response(null, { status: 302, headers: { location: CDN } }),
      },
    ],
    ["Infobip's 5xx", { [SOURCE]: () => new Response('down', { status: 502 }) }],
    ['a connection that fails', {}],
  ])('leaves %s to a later try', async (_what, answers) => {
    const { fetchImpl } = fakeFetch(answers);
    await expect(downloadInbound(source, 'IMAGE', { apiKey: API_KEY, limiter, fetch: fetchImpl })).rejects.toBeInstanceOf(
      TransientCopyFailure,
    );
  });

  it("keeps Infobip's Retry-After of a 429", async () => {
    const { fetchImpl } = fakeFetch({ [SOURCE]: () => new Response('', { status: 429, headers: { 'retry-after': '2' } }) });
    await expect(downloadInbound(source, 'IMAGE', { apiKey: API_KEY, limiter, fetch: fetchImpl })).rejects.toMatchObject({
      retryAfterMs: 2000,
    });
  });

  it("takes the size from Infobip's HEAD when the GET does not say it", async () => {
    const chunked = () => new Response(new ReadableStream({ start: (c) => (c.enqueue(JPEG), c.close()) }), { status: 200 });
    const { calls, fetchImpl } = fakeFetch({
      [`GET ${SOURCE}`]: chunked,
      [`HEAD ${SOURCE}`]: () => new Response(null, { status: 200, headers: { 'content-length': String(JPEG.length) } }),
    });
    const download = await downloadInbound(source, 'IMAGE', { apiKey: API_KEY, limiter, fetch: fetchImpl });
    expect(download.size).toBe(JPEG.length);
    await download.body.cancel();
    expect(calls.map((c) => c.authorization)).toEqual([`App ${API_KEY}`, `App ${API_KEY}`]);
  });

  it.each([
    ['a 404 (missing or expired)', { [SOURCE]: () => new Response('', { status: 404 }) }, 'EXPIRED'],
    [
      'an image over 5 MiB',
      { [SOURCE]: () => new Response('', { status: 200, headers: { 'content-length': String(5 * 1024 * 1024 + 1) } }) },
      'TOO_LARGE',
    ],
    [
      'no Content-Length',
      { [SOURCE]: () => new Response(new ReadableStream({ start: (c) => c.close() }), { status: 200 }) },
      'NO_SIZE',
    ],
  ])('gives up for good on %s', async (_what, answers, reason) => {
    const { fetchImpl } = fakeFetch(answers);
    const failure = await downloadInbound(source, 'IMAGE', { apiKey: API_KEY, limiter, fetch: fetchImpl }).catch(
      (e: unknown) => e,
    );
    expect(failure).toBeInstanceOf(PermanentCopyFailure);
    expect((failure as PermanentCopyFailure).reason).toBe(reason);
  });
});

describe('copyInboundMedia', () => {
  /** S3 in memory, with the same all-or-nothing PUT. */
  function memoryStorage() {
    const objects = new Map<string, { bytes: Buffer; contentType: string; metadata: Record<string, string> }>();
    const storage: ObjectStorage = {
      presignPut: async () => ({ url: '', headers: {}, expiresAt: '' }),
      head: async (key) => {
        const o = objects.get(key);
        return o && { size: o.bytes.length, contentType: o.contentType, metadata: o.metadata };
      },
      presignGet: async (key) => `https://s3.example/${key}`,
      get: async () => undefined,
      readStart: async () => undefined,
      remove: async (key) => void objects.delete(key),
      putStream: async (key, body, object) => {
        const chunks: Buffer[] = [];
        for await (const chunk of body) chunks.push(chunk);
        const bytes = Buffer.concat(chunks);
        if (bytes.length !== object.size) throw new Error('short body');
        objects.set(key, { bytes, contentType: object.contentType, metadata: {} });
      },
      copy: async (from, to, object) => {
        const o = objects.get(from);
        if (!o) throw new Error('no source');
        objects.set(to, { bytes: o.bytes, contentType: object.contentType, metadata: object.metadata });
      },
    };
    return { objects, storage };
  }

  function setup(answers: Record<string, () => Response>) {
    const { objects, storage } = memoryStorage();
    const { calls, fetchImpl } = fakeFetch(answers);
    const forwarder = fakeForwarder();
    const dedupe = memoryDedupe();
    // The message's event is done; each copy run counts itself (INCR in a pipeline).
    const runs = new Map<string, number>();
    const redis = {
      get: async () => 'done',
      pipeline: () => {
        let key = '';
        const chain = {
          incr: (k: string) => ((key = k), runs.set(k, (runs.get(k) ?? 0) + 1), chain),
          expire: () => chain,
          exec: async () => [runs.get(key), 1],
        };
        return chain;
      },
    } as unknown as Redis;
    const deps: CopierDeps = {
      log: createLogger('copyInboundMedia', { format: 'text', level: 'INFO', sink: captureLines().sink }),
      config: CONFIG,
      apiKey: API_KEY,
      storage,
      limiter,
      redis,
      dedupe,
      forwarder,
      fetch: fetchImpl,
    };
    return { objects, calls, forwarder, deps };
  }
  const request = (sourceUrl = SOURCE): CopyRequest => ({
    id: (sourceOf(sourceUrl, CONFIG.allowedHosts) as { id?: string }).id,
    sourceUrl,
    type: 'IMAGE',
    messageId: 'm-1',
    from: '39123456789',
    to: '44123456789',
    requestedAt: new Date().toISOString(),
  });
  const jpeg = () =>
    new Response(JPEG, { status: 200, headers: { 'content-type': 'image/jpeg', 'content-length': String(JPEG.length) } });

  it('stores the file under its final key with its digest and announces it once, however often it runs', async () => {
    const { objects, calls, forwarder, deps } = setup({ [SOURCE]: jpeg });
    expect(await copyInboundMedia(request(), deps)).toBe('stored');
    expect(await copyInboundMedia(request(), deps)).toBe('alreadyAnnounced');
    const id = request().id as string;
    const sha256 = createHash('sha256').update(JPEG).digest('hex');
    expect(objects.get(`inbound/${id}`)?.metadata).toEqual({ sha256 });
    expect([...objects.keys()]).toEqual([`inbound/${id}`]); // the partial object is gone
    expect(calls).toHaveLength(1); // the second run found the copy
    expect(forwarder.sent).toEqual([
      {
        event: 'mediaStored',
        messageId: 'm-1',
        from: '39123456789',
        to: '44123456789',
        media: expect.objectContaining({ id, contentType: 'image/jpeg', size: JPEG.length, sha256 }),
      },
    ]);
  });

  it('announces a file whose bytes contradict its type as failed, and stores nothing', async () => {
    const { objects, forwarder, deps } = setup({
      [SOURCE]: () =>
        new Response(Buffer.from('%PDF-1.7 not a photo'), {
          status: 200,
          headers: { 'content-type': 'image/jpeg', 'content-length': '20' },
        }),
    });
    expect(await copyInboundMedia(request(), deps)).toBe('failed');
    expect(objects.size).toBe(0);
    expect(forwarder.sent).toEqual([expect.objectContaining({ event: 'mediaFailed', reason: 'WRONG_TYPE', messageId: 'm-1' })]);
  });

  it('never sends the key to a forged host: the file is announced as failed without a request', async () => {
    const forged = SOURCE.replace(HOST, 'attacker.example.com');
    const { calls, forwarder, deps } = setup({});
    expect(await copyInboundMedia({ ...request(SOURCE), id: undefined, sourceUrl: forged }, deps)).toBe('failed');
    expect(calls).toEqual([]);
    expect(forwarder.sent).toEqual([expect.objectContaining({ event: 'mediaFailed', reason: 'HOST_NOT_ALLOWED' })]);
  });

  it("throws for Lambda's retry while Infobip fails, and on the last run tells ctlive once that the file is unavailable", async () => {
    const { forwarder, deps } = setup({ [SOURCE]: () => new Response('', { status: 503 }) });
    await expect(copyInboundMedia(request(), deps)).rejects.toBeInstanceOf(TransientCopyFailure);
    await expect(copyInboundMedia(request(), deps)).rejects.toBeInstanceOf(TransientCopyFailure);
    expect(forwarder.sent).toEqual([]);

    expect(await copyInboundMedia(request(), deps)).toBe('failed');
    expect(forwarder.sent).toEqual([expect.objectContaining({ event: 'mediaFailed', reason: 'UNAVAILABLE', messageId: 'm-1' })]);
  });
});
