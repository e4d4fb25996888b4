/**
 * The media flow on a real Redis (through the Upstash REST proxy) and the Infobip sandbox
 * over HTTP: ctlive sends a file, the sandbox fetches it back with HEAD then GET, as
 * Infobip does, and we compare what it got with what was sent.
 */
import { STICKER_STATIC_MAX_BYTES } from '../../lib/media/sticker';
import { createHash, randomUUID } from 'node:crypto';
import IORedis from 'ioredis';
import { MEDIA_KIND_NAMES, type MediaKind } from '../../lib/media/kinds';
import { startInfobipSandbox, type InfobipSandbox } from '../../tools/infobipSandbox';
import { findRedis, type LocalRedis } from '../../tools/localRedis';
import { freePort } from '../../tools/ports';
import { startUpstashProxy, type UpstashProxy } from '../../tools/upstashProxy';
import { startMediaHarness, type MediaHarness } from '../support/mediaHarness';
import { sampleFile } from '../support/sampleFile';

const TOKEN = `ctlive-${randomUUID()}`;
const API_KEY = `sandbox-${randomUUID()}`;
const KEY_PREFIX = 'IMChannel:MultimediaMessage:';

let redis: LocalRedis;
let direct: IORedis;
let proxy: UpstashProxy;
let sandbox: InfobipSandbox;
let harness: MediaHarness;
const lines: string[] = [];
const sink = (line: string) => void lines.push(line);
const toClose: { close(): Promise<void> }[] = [];

const sha256 = (data: Buffer) => createHash('sha256').update(data).digest('hex');

async function startHarness(overrides: { fetchTtlSeconds?: number; redis?: { url: string; token: string } } = {}) {
  const started = await startMediaHarness({
    redis: overrides.redis ?? proxy,
    infobip: { baseUrl: sandbox.url, apiKey: API_KEY },
    ctliveApiToken: TOKEN,
    fetchTtlSeconds: overrides.fetchTtlSeconds,
    sink,
  });
  toClose.push(started);
  return started;
}

beforeAll(async () => {
  redis = await findRedis();
  direct = new IORedis(redis.url);
  proxy = await startUpstashProxy({ redisUrl: redis.url, token: `proxy-${randomUUID()}`, port: 0 });
  sandbox = await startInfobipSandbox({ apiKey: API_KEY, port: 0, fetchMedia: true, deliveryReports: false });
  harness = await startHarness();
});

afterAll(async () => {
  for (const server of toClose) await server.close();
  await sandbox.close();
  await proxy.close();
  direct.disconnect();
  await redis.stop();
});

beforeEach(() => {
  sandbox.reset();
  lines.length = 0;
});

const NAMES: Record<MediaKind, string> = {
  image: 'Image',
  document: 'Document',
  audio: 'Audio',
  video: 'Video',
  sticker: 'Sticker',
};
const FILES: Record<MediaKind, { fileName: string; contentType: string }> = {
  image: { fileName: 'NFO_resized.png', contentType: 'image/png' },
  document: { fileName: 'Offerta "2025"; définitive.pdf', contentType: 'application/pdf' },
  audio: { fileName: 'voice.ogg', contentType: 'audio/ogg; codecs=opus' },
  video: { fileName: 'clip.mp4', contentType: 'video/mp4' },
  sticker: { fileName: 'thumbs-up.webp', contentType: 'image/webp' },
};

/** `size` bytes that pass the check of the kind's content type (test/support/sampleFile.ts). */
const fileOf = (kind: MediaKind, size: number) => sampleFile(FILES[kind].contentType, size);

async function send(kind: MediaKind, bytes: Buffer, on: MediaHarness = harness, extra: Record<string, unknown> = {}) {
  const res = await fetch(`${on.publicUrl}/sendWhatsApp${NAMES[kind]}Message`, {
    method: 'POST',
    headers: { authorization: `Bearer ${TOKEN}`, 'content-type': 'application/json' },
    body: JSON.stringify({ to: '39123456789', ...FILES[kind], content: bytes.toString('base64'), ...extra }),
  });
  return { status: res.status, body: (await res.json()) as Record<string, unknown> & { error?: { code: string } } };
}

describe.each(MEDIA_KIND_NAMES)('sending a file of kind %s', (kind) => {
  it('reaches Infobip as a URL, and the sandbox fetches exactly the bytes sent, HEAD then GET', async () => {
    // A static sticker may be at most 100 KB; every other kind takes 200 KB.
    const bytes = fileOf(kind, kind === 'sticker' ? STICKER_STATIC_MAX_BYTES - 1 : 200_000 + 1);

    const sent = await send(kind, bytes);
    expect(sent.body.error).toBeUndefined();
    const [head, get] = await sandbox.waitForMediaFetches(2);

    expect(sent.status).toBe(200);
    const mediaId = String(sent.body.mediaId);
    expect(sent.body.mediaUrl).toBe(`${harness.publicUrl}/get${NAMES[kind]}Message/${mediaId}`);
    expect(head).toMatchObject({ method: 'HEAD', status: 200, url: sent.body.mediaUrl });
    expect(get).toMatchObject({ method: 'GET', status: 200, bodyBytes: bytes.length, bodySha256: sha256(bytes) });
    for (const fetched of [head, get]) {
      expect(fetched?.headers).toMatchObject({
        'content-type': FILES[kind].contentType,
        'content-length': String(bytes.length),
        'cache-control': 'no-store',
        'x-content-type-options': 'nosniff',
      });
    }
    const ttl = await direct.ttl(`${KEY_PREFIX}${mediaId}`);
    expect(ttl).toBeGreaterThan(0);
    expect(ttl).toBeLessThanOrEqual(60);
  });
});

describe('the media flow', () => {
  it('logs the runbook lines in order: request, response, then three lines for each of HEAD and GET', async () => {
    const sent = await send('image', fileOf('image', 1000));
    await sandbox.waitForMediaFetches(2);
    const key = `${KEY_PREFIX}${String(sent.body.mediaId)}`;

    // Infobip's HEAD, then its GET: the first line says which.
    const fetchLines = (method: string) => [
      `[IMCHANNEL] [onGetImageMessage] Request received for ID [${String(sent.body.mediaId)}] (${method})`,
      `[IMCHANNEL] [onGetImageMessage] [REDIS] Get message with key [${key}]`,
      `[IMCHANNEL] [onGetImageMessage] Set expire for key [${key}] 60`,
    ];
    expect(lines).toEqual([
      expect.stringMatching(
        /^\[IMCHANNEL\] \[sendWhatsAppImageMessage\] request to \[.*\/omni\/1\/advanced\] Data \[.*"imageUrl":.*\] with api key header$/,
      ),
      expect.stringMatching(/^\[IMCHANNEL\] \[sendWhatsAppImageMessage\] response of \[.*\/omni\/1\/advanced\]: \{"messages":/),
      ...fetchLines('HEAD'),
      ...fetchLines('GET'),
    ]);
  });

  it('with MEDIA_FETCH_TTL_SECONDS=2, the key lives at most 2 s after a fetch, and is then gone', async () => {
    const shortLived = await startHarness({ fetchTtlSeconds: 2 });
    const sent = await send('video', fileOf('video', 5000), shortLived);
    await sandbox.waitForMediaFetches(2);
    const key = `${KEY_PREFIX}${String(sent.body.mediaId)}`;

    const ttlMs = await direct.pttl(key);
    expect(ttlMs).toBeGreaterThan(0);
    expect(ttlMs).toBeLessThanOrEqual(2000);
    await new Promise((resolve) => setTimeout(resolve, ttlMs + 100));

    expect(await direct.exists(key)).toBe(0);
    const again = await fetch(String(sent.body.mediaUrl));
    expect(again.status).toBe(404);
    expect(lines.at(-1)).toContain('no such key');
  });

  it('a file of exactly 4 MiB survives the round trip', async () => {
    const bytes = fileOf('document', 4 * 1024 * 1024);
    const sent = await send('document', bytes);
    const [, get] = await sandbox.waitForMediaFetches(2, 15_000);
    expect(sent.status).toBe(200);
    expect(get).toMatchObject({ status: 200, bodyBytes: bytes.length, bodySha256: sha256(bytes) });
  });

  it('a file one byte over 4 MiB is refused with 413 and Infobip is not called', async () => {
    const sent = await send('document', fileOf('document', 4 * 1024 * 1024 + 1));
    expect(sent.status).toBe(413);
    expect(sent.body.error?.code).toBe('PAYLOAD_TOO_LARGE');
    expect(sandbox.received).toHaveLength(0);
  });

  it('when Infobip refuses the message: 502, and the stored key is gone', async () => {
    sandbox.failNext({ status: 400 });

    const sent = await send('image', fileOf('image', 1000));

    expect(sent.status).toBe(502);
    expect(sent.body.error?.code).toBe('INFOBIP_ERROR');
    const omni = sandbox.received[0]?.body as { whatsApp: { imageUrl: string } };
    const mediaId = omni.whatsApp.imageUrl.split('/').at(-1) ?? '';
    expect(mediaId).toMatch(/^[0-9a-f-]{36}$/);
    expect(await direct.exists(`${KEY_PREFIX}${mediaId}`)).toBe(0);
    expect(sandbox.mediaFetches).toHaveLength(0);
  });

  it('a document id fetched as an image gets the same 404 as an unknown id', async () => {
    const sent = await send('document', fileOf('document', 100));
    await sandbox.waitForMediaFetches(2);
    const asImage = await fetch(`${harness.publicUrl}/getImageMessage/${String(sent.body.mediaId)}`);
    const unknown = await fetch(`${harness.publicUrl}/getImageMessage/${randomUUID()}`);
    expect(asImage.status).toBe(404);
    expect(unknown.status).toBe(404);
    expect(await asImage.text()).toBe(await unknown.text());
  });

  it.each([
    ['a path traversal', '..%2F..%2Fetc'],
    ['a star', '*'],
    ['a 10 KB string', 'a'.repeat(10 * 1024)],
  ])('an id that is %s gets 404 over HTTP', async (_name, id) => {
    const res = await fetch(`${harness.publicUrl}/getImageMessage/${id}`);
    expect(res.status).toBe(404);
    expect(lines.some((line) => line.includes('[REDIS]'))).toBe(false);
  });

  it('never writes a file into a log', async () => {
    const bytes = Buffer.concat([fileOf('image', 100), Buffer.from('SECRET-FILE-CONTENT-'.repeat(100))]);
    sandbox.failNext({ status: 400 });
    await send('image', bytes);
    await send('image', bytes);
    await sandbox.waitForMediaFetches(2);
    const all = lines.join('\n');
    expect(all).not.toContain('SECRET-FILE-CONTENT');
    expect(all).not.toContain(bytes.toString('base64').slice(100, 160));
  });
});

describe('when Redis is down', () => {
  let down: MediaHarness;
  let deadProxy: UpstashProxy;

  beforeAll(async () => {
    // A proxy that is up, in front of a Redis that is not: the usual shape of an outage.
    deadProxy = await startUpstashProxy({
      redisUrl: `redis://127.0.0.1:${await freePort()}`,
      token: 'dead-proxy-token',
      port: 0,
    });
    toClose.push(deadProxy);
    down = await startHarness({ redis: deadProxy });
  });

  it('a send answers 503 and Infobip is not called', async () => {
    const sent = await send('audio', fileOf('audio', 1000), down);
    expect(sent.status).toBe(503);
    expect(sent.body.error?.code).toBe('REDIS_UNAVAILABLE');
    expect(sandbox.received).toHaveLength(0);
  });

  it('a fetch answers 503', async () => {
    const res = await fetch(`${down.publicUrl}/getAudioMessage/${randomUUID()}`);
    expect(res.status).toBe(503);
  });

  it('with the REST endpoint itself unreachable, a send answers 503 too', async () => {
    const unreachable = await startHarness({ redis: { url: `http://127.0.0.1:${await freePort()}`, token: 'x' } });
    const sent = await send('image', fileOf('image', 1000), unreachable);
    expect(sent.status).toBe(503);
    expect(sandbox.received).toHaveLength(0);
  });
});
