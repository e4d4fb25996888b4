/**
 * Fault matrix, S3 side: the media bucket slow or refusing, an upload
 * that never came, and a fetch after the key expired, against the upload route, the sends
 * by mediaId and the fetches, on a real Redis (through the Upstash proxy), s3rver and the
 * Infobip sandbox. For each: the status and code the caller gets, that nothing reaches
 * Infobip when it should not, what is left in Redis and S3, and that the same handlers
 * serve the next request once S3 is back.
 */
import { createHash, randomBytes, randomUUID } from 'node:crypto';
import IORedis from 'ioredis';
import { startInfobipSandbox, type InfobipSandbox } from '../../tools/infobipSandbox';
import { startLocalS3, type LocalS3 } from '../../tools/localS3';
import { findRedis, type LocalRedis } from '../../tools/localRedis';
import { startUpstashProxy, type UpstashProxy } from '../../tools/upstashProxy';
import { objectKeyOf } from '../../lib/media/objects';
import { redisKeys } from '../../lib/platform/redis';
import { startLargeMediaHarness, type LargeMediaHarness } from '../support/largeMediaHarness';
import { leadingBytes } from '../support/sampleFile';

const TOKEN = `ctlive-${randomUUID()}`;
const API_KEY = `sandbox-${randomUUID()}`;
const FETCH_TTL_SECONDS = 1;
const UPLOAD_TTL_SECONDS = 2;

let redis: LocalRedis;
let direct: IORedis;
let proxy: UpstashProxy;
let s3: LocalS3;
let sandbox: InfobipSandbox;
let harness: LargeMediaHarness;
const lines: string[] = [];

const sha256 = (data: Buffer) => createHash('sha256').update(data).digest('hex');
const pdf = (size: number) =>
  Buffer.concat([leadingBytes('application/pdf'), randomBytes(size - leadingBytes('application/pdf').length)]);

beforeAll(async () => {
  redis = await findRedis();
  direct = new IORedis(redis.url);
  proxy = await startUpstashProxy({ redisUrl: redis.url, token: `proxy-${randomUUID()}`, port: 0 });
  s3 = await startLocalS3();
  sandbox = await startInfobipSandbox({ apiKey: API_KEY, port: 0, fetchMedia: true, deliveryReports: false });
  harness = await startLargeMediaHarness({
    redis: proxy,
    s3,
    infobip: { baseUrl: sandbox.url, apiKey: API_KEY },
    ctliveApiToken: TOKEN,
    fetchMode: 'stream',
    fetchTtlSeconds: FETCH_TTL_SECONDS,
    uploadTtlSeconds: UPLOAD_TTL_SECONDS,
    sink: (line) => void lines.push(line),
  });
});

afterAll(async () => {
  await harness?.close();
  await sandbox?.close();
  await s3?.close();
  await proxy?.close();
  direct?.disconnect();
  await redis?.stop();
});

beforeEach(() => {
  sandbox.reset();
  lines.length = 0;
  s3.faults.delayMs = 0;
  s3.faults.refuseAll = false;
});

async function post(route: string, body: unknown) {
  const res = await fetch(`${harness.publicUrl}/${route}`, {
    method: 'POST',
    headers: { authorization: `Bearer ${TOKEN}`, 'content-type': 'application/json' },
    body: JSON.stringify(body),
  });
  return {
    status: res.status,
    retryAfter: res.headers.get('retry-after'),
    body: (await res.json()) as Record<string, unknown> & { error?: { code: string; retryable: boolean } },
  };
}

/** An upload created and PUT while S3 is healthy. */
async function uploaded(bytes: Buffer) {
  const created = await post('media', {
    kind: 'document',
    fileName: 'c.pdf',
    contentType: 'application/pdf',
    size: bytes.length,
    sha256: sha256(bytes),
  });
  const { mediaId, upload } = created.body as { mediaId: string; upload: { url: string; headers: Record<string, string> } };
  const put = await fetch(upload.url, { method: 'PUT', headers: upload.headers, body: bytes });
  expect(put.status).toBe(200);
  return mediaId;
}

const send = (mediaId: string) => post('sendWhatsAppDocumentMessage', { to: '39123456789', mediaId });

describe('S3 refusing (503 SlowDown on every request)', () => {
  it('a send answers 503 STORAGE_UNAVAILABLE, retryable, without calling Infobip, and keeps the upload; once S3 is back the same send goes out', async () => {
    const bytes = pdf(50_000);
    const mediaId = await uploaded(bytes);
    s3.faults.refuseAll = true;

    const refused = await send(mediaId);

    expect({ status: refused.status, code: refused.body.error?.code, retryable: refused.body.error?.retryable }).toEqual({
      status: 503,
      code: 'STORAGE_UNAVAILABLE',
      retryable: true,
    });
    expect(refused.retryAfter).toBe('5');
    expect(sandbox.received).toHaveLength(0);
    expect(await direct.exists(redisKeys.media(mediaId))).toBe(1);
    expect(lines.some((line) => line.includes(`[S3] HEAD failed for object [${objectKeyOf(mediaId)}]`))).toBe(true);

    s3.faults.refuseAll = false;
    const again = await send(mediaId);
    const [, get] = await sandbox.waitForMediaFetches(2, 30_000);
    expect(again.status).toBe(200);
    expect(get?.bodySha256).toBe(sha256(bytes));
  });

  it('the streaming GET answers 503 (Infobip retries or reports a hosting error), the HEAD still 200 from the metadata', async () => {
    const mediaId = await uploaded(pdf(10_000));
    s3.faults.refuseAll = true;

    const head = await fetch(`${harness.streamUrl}/getDocumentMessage/${mediaId}`, { method: 'HEAD' });
    const get = await fetch(`${harness.streamUrl}/getDocumentMessage/${mediaId}`);

    expect(head.status).toBe(200);
    expect(head.headers.get('content-length')).toBe('10000');
    expect(get.status).toBe(503);
    expect(((await get.json()) as { error: { code: string } }).error.code).toBe('STORAGE_UNAVAILABLE');
  });
});

describe('S3 slow (every answer after 6 s, past the 5 s S3 timeout)', () => {
  it('a send gives up after the timeout with 503 and sends nothing', async () => {
    const mediaId = await uploaded(pdf(10_000));
    s3.faults.delayMs = 6_000;

    const started = Date.now();
    const slow = await send(mediaId);
    const tookMs = Date.now() - started;

    expect(slow.status).toBe(503);
    expect(slow.body.error?.code).toBe('STORAGE_UNAVAILABLE');
    expect(tookMs).toBeGreaterThanOrEqual(4_900);
    expect(tookMs).toBeLessThan(6_000);
    expect(sandbox.received).toHaveLength(0);
  }, 30_000);

  it('an upload is still answered at once: presigning never waits for S3', async () => {
    s3.faults.delayMs = 6_000;
    const started = Date.now();
    const created = await post('media', {
      kind: 'video',
      fileName: 'v.mp4',
      contentType: 'video/mp4',
      size: 1000,
      sha256: 'ab'.repeat(32),
    });
    expect(created.status).toBe(200);
    expect(Date.now() - started).toBeLessThan(2_000);
  });
});

describe('an upload that never came', () => {
  it('the send is 409 UPLOAD_MISSING while the PUT has not happened; after the upload URL expired, S3 refuses the PUT', async () => {
    const bytes = pdf(2_000);
    const created = await post('media', {
      kind: 'document',
      fileName: 'c.pdf',
      contentType: 'application/pdf',
      size: bytes.length,
      sha256: sha256(bytes),
    });
    const { mediaId, upload } = created.body as { mediaId: string; upload: { url: string; headers: Record<string, string> } };

    const early = await send(mediaId);
    await new Promise((resolve) => setTimeout(resolve, (UPLOAD_TTL_SECONDS + 1.5) * 1000));
    const latePut = await fetch(upload.url, { method: 'PUT', headers: upload.headers, body: bytes });
    const late = await send(mediaId);

    expect(early.status).toBe(409);
    expect(early.body.error?.code).toBe('UPLOAD_MISSING');
    expect(latePut.status).toBe(403);
    expect(late.status).toBe(409);
    expect(sandbox.received).toHaveLength(0);
  }, 30_000);
});

describe('a fetch after the key expired', () => {
  it('is 404 on the streaming URL although the object is still in the bucket', async () => {
    const bytes = pdf(20_000);
    const mediaId = await uploaded(bytes);
    const sent = await send(mediaId);
    await sandbox.waitForMediaFetches(2, 30_000); // each fetch set the key to MEDIA_FETCH_TTL_SECONDS
    await new Promise((resolve) => setTimeout(resolve, (FETCH_TTL_SECONDS + 1.5) * 1000));

    const after = await fetch(String(sent.body.mediaUrl));

    expect(sent.status).toBe(200);
    expect(after.status).toBe(404);
    expect(await direct.exists(redisKeys.media(mediaId))).toBe(0);
    expect(await harness.storage.head(objectKeyOf(mediaId))).toEqual({
      size: bytes.length,
      contentType: 'application/pdf',
      metadata: {},
    });
  }, 30_000);
});
