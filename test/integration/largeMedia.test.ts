/**
 * Large files on the real pieces: Redis through the Upstash REST proxy, an
 * S3-compatible server (s3rver behind the SigV4 check, tools/localS3.ts) and the Infobip
 * sandbox over HTTP. ctlive asks for an upload, PUTs the bytes to S3 itself, sends the
 * mediaId; the sandbox fetches HEAD then GET as Infobip does, and its digest is compared.
 */
import { createHash, randomBytes, randomUUID } from 'node:crypto';
import IORedis from 'ioredis';
import { startInfobipSandbox, type InfobipSandbox } from '../../tools/infobipSandbox';
import { startLocalS3, type LocalS3 } from '../../tools/localS3';
import { findRedis, type LocalRedis } from '../../tools/localRedis';
import { startUpstashProxy, type UpstashProxy } from '../../tools/upstashProxy';
import { objectKeyOf } from '../../lib/media/objects';
import { LAST_MESSAGE_MEMBER, WINDOW_MS, conversationKey } from '../../lib/conversation/window';
import { startLargeMediaHarness, type LargeMediaHarness } from '../support/largeMediaHarness';
import { leadingBytes } from '../support/sampleFile';

const TOKEN = `ctlive-${randomUUID()}`;
const API_KEY = `sandbox-${randomUUID()}`;
const KEY_PREFIX = 'IMChannel:MultimediaMessage:';
const MB = 1024 * 1024;

let redis: LocalRedis;
let direct: IORedis;
let proxy: UpstashProxy;
let s3: LocalS3;
let sandbox: InfobipSandbox;
let streamed: LargeMediaHarness;
let redirected: LargeMediaHarness;
let enforced: LargeMediaHarness;
const BUSINESS_NUMBER = '44123456789';
const lines: string[] = [];

const sha256 = (data: Buffer) => createHash('sha256').update(data).digest('hex');
/** The digest an upload declares when the test PUTs no bytes through its URL. */
const NO_BYTES = 'ab'.repeat(32);
/** `size` bytes that start as the type's real files do. */
const fileOf = (contentType: string, size: number) => {
  const lead = leadingBytes(contentType);
  return Buffer.concat([lead, randomBytes(size - lead.length)]);
};

beforeAll(async () => {
  redis = await findRedis();
  direct = new IORedis(redis.url);
  proxy = await startUpstashProxy({ redisUrl: redis.url, token: `proxy-${randomUUID()}`, port: 0 });
  s3 = await startLocalS3();
  sandbox = await startInfobipSandbox({
    apiKey: API_KEY,
    port: 0,
    fetchMedia: true,
    deliveryReports: false,
    mediaTimeoutMs: 60_000,
  });
  const common = {
    redis: proxy,
    s3,
    infobip: { baseUrl: sandbox.url, apiKey: API_KEY },
    ctliveApiToken: TOKEN,
    sink: (l: string) => void lines.push(l),
  };
  streamed = await startLargeMediaHarness({ ...common, fetchMode: 'stream' });
  redirected = await startLargeMediaHarness({ ...common, fetchMode: 'redirect' });
  enforced = await startLargeMediaHarness({
    ...common,
    fetchMode: 'stream',
    window: { policy: 'enforce', sender: BUSINESS_NUMBER },
  });
}, 30_000);

afterAll(async () => {
  await streamed?.close();
  await redirected?.close();
  await enforced?.close();
  await sandbox?.close();
  await s3?.close();
  await proxy?.close();
  direct?.disconnect();
  await redis?.stop();
});

beforeEach(() => {
  sandbox.reset();
  lines.length = 0;
});

interface Upload {
  mediaId: string;
  upload: { method: string; url: string; headers: Record<string, string> };
  expiresAt: string;
}

async function post(on: LargeMediaHarness, route: string, body: unknown) {
  const res = await fetch(`${on.publicUrl}/${route}`, {
    method: 'POST',
    headers: { authorization: `Bearer ${TOKEN}`, 'content-type': 'application/json' },
    body: JSON.stringify(body),
  });
  return {
    status: res.status,
    body: (await res.json()) as Record<string, unknown> & { error?: { code: string; message: string; retryable: boolean } },
  };
}

async function createUpload(
  on: LargeMediaHarness,
  declared: { kind: string; fileName: string; contentType: string; size: number; sha256?: string },
) {
  const res = await post(on, 'media', declared);
  return { status: res.status, body: res.body as unknown as Upload & { error?: { code: string } } };
}

const put = (upload: Upload['upload'], bytes: Buffer) =>
  fetch(upload.url, { method: upload.method, headers: upload.headers, body: bytes }).then(async (res) => ({
    status: res.status,
    text: await res.text(),
  }));

/** A PDF (of `size` bytes, or these bytes) uploaded through `on` as contract.pdf (upload created, bytes PUT): its mediaId. */
async function uploadedPdf(on: LargeMediaHarness, sizeOrBytes: number | Buffer): Promise<string> {
  const bytes = typeof sizeOrBytes === 'number' ? fileOf('application/pdf', sizeOrBytes) : sizeOrBytes;
  const created = await createUpload(on, {
    kind: 'document',
    fileName: 'contract.pdf',
    contentType: 'application/pdf',
    size: bytes.length,
    sha256: sha256(bytes),
  });
  expect((await put(created.body.upload, bytes)).status).toBe(200);
  return created.body.mediaId;
}

describe('upload, PUT, send, fetch (stream mode)', () => {
  it('a 15 MB video reaches the sandbox through the streaming URL with the same SHA-256, HEAD then GET', async () => {
    const bytes = fileOf('video/mp4', 15 * MB);
    const created = await createUpload(streamed, {
      kind: 'video',
      fileName: 'clip.mp4',
      contentType: 'video/mp4',
      size: bytes.length,
      sha256: sha256(bytes),
    });
    expect(created.status).toBe(200);
    expect(created.body.upload.method).toBe('PUT');
    expect(created.body.upload.headers).toMatchObject({ 'content-length': String(bytes.length), 'content-type': 'video/mp4' });
    expect(Date.parse(created.body.expiresAt)).toBeGreaterThan(Date.now());
    expect((await put(created.body.upload, bytes)).status).toBe(200);

    const sent = await post(streamed, 'sendWhatsAppVideoMessage', {
      to: '39123456789',
      mediaId: created.body.mediaId,
      caption: 'the clip',
    });
    const [head, get] = await sandbox.waitForMediaFetches(2, 60_000);

    expect(sent.status).toBe(200);
    expect(sent.body.mediaUrl).toBe(`${streamed.streamUrl}/getVideoMessage/${created.body.mediaId}`);
    expect((sandbox.received[0]?.body as { whatsApp: unknown }).whatsApp).toEqual({
      text: 'the clip',
      videoUrl: sent.body.mediaUrl,
    });
    expect(head).toMatchObject({ method: 'HEAD', status: 200 });
    expect(get).toMatchObject({ method: 'GET', status: 200, bodyBytes: bytes.length, bodySha256: sha256(bytes) });
    for (const fetched of [head, get]) {
      expect(fetched?.headers).toMatchObject({
        'content-type': 'video/mp4',
        'content-length': String(bytes.length),
        'content-disposition': 'inline; filename="clip.mp4"',
        'cache-control': 'no-store',
        'x-content-type-options': 'nosniff',
      });
    }
    // The fetch brought the key's expiry down (EXPIRE … LT), as for an inline file.
    const ttl = await direct.ttl(`${KEY_PREFIX}${created.body.mediaId}`);
    expect(ttl).toBeGreaterThan(0);
    expect(ttl).toBeLessThanOrEqual(60);
    const key = `${KEY_PREFIX}${created.body.mediaId}`;
    const fetchLines = (method: string) => [
      `[IMCHANNEL] [onGetVideoMessage] Request received for ID [${created.body.mediaId}] (${method})`,
      `[IMCHANNEL] [onGetVideoMessage] [REDIS] Get message with key [${key}]`,
      `[IMCHANNEL] [onGetVideoMessage] Set expire for key [${key}] 60`,
    ];
    expect(lines.filter((line) => line.includes('[onGetVideoMessage]'))).toEqual([...fetchLines('HEAD'), ...fetchLines('GET')]);
  }, 120_000);

  it('a 40 MB PDF too; the local S3 refuses a PUT of another size or type than the ones signed', async () => {
    const bytes = fileOf('application/pdf', 40 * MB);
    const created = await createUpload(streamed, {
      kind: 'document',
      fileName: 'contract.pdf',
      contentType: 'application/pdf',
      size: bytes.length,
      sha256: sha256(bytes),
    });
    const shorter = await fetch(created.body.upload.url, {
      method: 'PUT',
      headers: { 'content-type': 'application/pdf' },
      body: bytes.subarray(0, bytes.length - 1),
    });
    const otherType = await fetch(created.body.upload.url, {
      method: 'PUT',
      headers: { ...created.body.upload.headers, 'content-type': 'application/msword' },
      body: bytes,
    });
    expect(shorter.status).toBe(403);
    expect(otherType.status).toBe(403);
    expect((await put(created.body.upload, bytes)).status).toBe(200);

    const sent = await post(streamed, 'sendWhatsAppDocumentMessage', { to: '39123456789', mediaId: created.body.mediaId });
    const [, get] = await sandbox.waitForMediaFetches(2, 60_000);

    expect(sent.status).toBe(200);
    expect((sandbox.received[0]?.body as { whatsApp: unknown }).whatsApp).toEqual({
      text: 'contract.pdf',
      fileUrl: sent.body.mediaUrl,
    });
    expect(get).toMatchObject({ status: 200, bodyBytes: bytes.length, bodySha256: sha256(bytes) });
  }, 120_000);
});

describe('idempotency', () => {
  it('a retry with the same Idempotency-Key gets the first answer, replayed: one message, one HEAD of the object', async () => {
    const bytes = fileOf('image/png', 2000);
    const created = await createUpload(streamed, {
      kind: 'image',
      fileName: 'a.png',
      contentType: 'image/png',
      size: bytes.length,
      sha256: sha256(bytes),
    });
    await put(created.body.upload, bytes);
    const key = `retry-${randomUUID()}`;
    const sendKeyed = () =>
      fetch(`${streamed.publicUrl}/sendWhatsAppImageMessage`, {
        method: 'POST',
        headers: { authorization: `Bearer ${TOKEN}`, 'content-type': 'application/json', 'idempotency-key': key },
        body: JSON.stringify({ to: '39123456789', mediaId: created.body.mediaId }),
      });

    const first = await sendKeyed();
    await sandbox.waitForMediaFetches(2);
    const firstBody = await first.json();
    const objectPath = `/${s3.bucket}/${objectKeyOf(created.body.mediaId)}`;
    const headsBefore = s3.requests.filter((r) => r.method === 'HEAD' && r.path === objectPath).length;
    lines.length = 0;
    const second = await sendKeyed();

    expect(first.status).toBe(200);
    expect(second.status).toBe(200);
    expect(second.headers.get('idempotent-replayed')).toBe('true');
    expect(await second.json()).toEqual(firstBody);
    expect(sandbox.received).toHaveLength(1);
    expect(headsBefore).toBe(1);
    expect(s3.requests.filter((r) => r.method === 'HEAD' && r.path === objectPath)).toHaveLength(1);
    expect(lines.filter((line) => line.includes('request to ['))).toEqual([]);
  });
});

describe('redirect mode', () => {
  it('HEAD from the metadata, GET a 302 to a presigned S3 GET that serves the bytes with the same type and disposition', async () => {
    const bytes = fileOf('application/pdf', 200_000);
    const created = await createUpload(redirected, {
      kind: 'document',
      fileName: 'Offerta "2025".pdf',
      contentType: 'application/pdf',
      size: bytes.length,
      sha256: sha256(bytes),
    });
    await put(created.body.upload, bytes);
    const url = `${redirected.publicUrl}/getDocumentMessage/${created.body.mediaId}`;

    const head = await fetch(url, { method: 'HEAD' });
    const get = await fetch(url, { redirect: 'manual' });
    const location = get.headers.get('location') ?? '';
    const fromS3 = await fetch(location);
    const body = Buffer.from(await fromS3.arrayBuffer());

    expect(head.status).toBe(200);
    expect(head.headers.get('content-length')).toBe(String(bytes.length));
    expect(get.status).toBe(302);
    expect(location.startsWith(`${s3.url}/${s3.bucket}/${objectKeyOf(created.body.mediaId)}?`)).toBe(true);
    expect(new URL(location).searchParams.get('X-Amz-Expires')).toBe('60');
    expect(fromS3.status).toBe(200);
    expect(fromS3.headers.get('content-type')).toBe('application/pdf');
    expect(fromS3.headers.get('content-disposition')).toBe(head.headers.get('content-disposition'));
    expect(sha256(body)).toBe(sha256(bytes));
  });

  it('sends Infobip the API URL, whose 302 the sandbox does not follow (Infobip does not document that it does: hence stream is the default)', async () => {
    const bytes = fileOf('image/png', 1000);
    const created = await createUpload(redirected, {
      kind: 'image',
      fileName: 'a.png',
      contentType: 'image/png',
      size: bytes.length,
      sha256: sha256(bytes),
    });
    await put(created.body.upload, bytes);

    const sent = await post(redirected, 'sendWhatsAppImageMessage', { to: '39123456789', mediaId: created.body.mediaId });
    const [, get] = await sandbox.waitForMediaFetches(2);

    expect(sent.body.mediaUrl).toBe(`${redirected.publicUrl}/getImageMessage/${created.body.mediaId}`);
    expect(get?.status).toBe(302);
  });
});

describe('refusals', () => {
  it('a send before the PUT: 409 UPLOAD_MISSING, retryable, nothing sent, and the upload still usable', async () => {
    const bytes = fileOf('image/jpeg', 5000);
    const created = await createUpload(streamed, {
      kind: 'image',
      fileName: 'a.jpg',
      contentType: 'image/jpeg',
      size: bytes.length,
      sha256: sha256(bytes),
    });

    const early = await post(streamed, 'sendWhatsAppImageMessage', { to: '39123456789', mediaId: created.body.mediaId });
    expect(early.status).toBe(409);
    expect(early.body.error).toMatchObject({ code: 'UPLOAD_MISSING', retryable: true });
    expect(sandbox.received).toHaveLength(0);

    await put(created.body.upload, bytes);
    const later = await post(streamed, 'sendWhatsAppImageMessage', { to: '39123456789', mediaId: created.body.mediaId });
    expect(later.status).toBe(200);
  });

  it('with sha256 declared, a PUT of other bytes of the same size is refused by S3 (400 BadDigest) and stores nothing', async () => {
    const bytes = fileOf('image/png', 4000);
    const created = await createUpload(streamed, {
      kind: 'image',
      fileName: 'a.png',
      contentType: 'image/png',
      size: bytes.length,
      sha256: sha256(bytes),
    });
    const other = Buffer.from(bytes);
    other[3000] = (other[3000] ?? 0) ^ 0xff;

    const refused = await put(created.body.upload, other);
    const head = await streamed.storage.head(objectKeyOf(created.body.mediaId));
    const accepted = await put(created.body.upload, bytes);

    expect(refused.status).toBe(400);
    expect(refused.text).toContain('BadDigest');
    expect(head).toBeUndefined();
    expect(accepted.status).toBe(200);
  });

  it('an object of another size than declared: 422, nothing sent, key and object deleted', async () => {
    const created = await createUpload(streamed, {
      kind: 'image',
      fileName: 'a.png',
      contentType: 'image/png',
      size: 1000,
      sha256: NO_BYTES,
    });
    // Written past the upload URL (by someone holding the bucket's rights), so it differs.
    const other = await streamed.storage.presignPut(objectKeyOf(created.body.mediaId), { size: 999, contentType: 'image/png' });
    expect((await put({ method: 'PUT', ...other }, fileOf('image/png', 999))).status).toBe(200);

    const sent = await post(streamed, 'sendWhatsAppImageMessage', { to: '39123456789', mediaId: created.body.mediaId });

    expect(sent.status).toBe(422);
    expect(sent.body.error).toMatchObject({ code: 'UPLOAD_MISMATCH', retryable: false });
    expect(sent.body.error?.message).toContain('999 bytes, but the upload declared 1000');
    expect(sandbox.received).toHaveLength(0);
    expect(await direct.exists(`${KEY_PREFIX}${created.body.mediaId}`)).toBe(0);
    expect(await streamed.storage.head(objectKeyOf(created.body.mediaId))).toBeUndefined();
  });

  it('an object of another type than declared: 422 and both deleted', async () => {
    const created = await createUpload(streamed, {
      kind: 'image',
      fileName: 'a.png',
      contentType: 'image/png',
      size: 1000,
      sha256: NO_BYTES,
    });
    const other = await streamed.storage.presignPut(objectKeyOf(created.body.mediaId), { size: 1000, contentType: 'image/jpeg' });
    await put({ method: 'PUT', ...other }, fileOf('image/jpeg', 1000));

    const sent = await post(streamed, 'sendWhatsAppImageMessage', { to: '39123456789', mediaId: created.body.mediaId });

    expect(sent.status).toBe(422);
    expect(sent.body.error?.message).toContain('is image/jpeg, but the upload declared image/png');
    expect(await direct.exists(`${KEY_PREFIX}${created.body.mediaId}`)).toBe(0);
  });

  it('an object whose first bytes are not its declared type: 415 CONTENT_MISMATCH as inline, both deleted', async () => {
    const png = fileOf('image/png', 3000);
    const created = await createUpload(streamed, {
      kind: 'document',
      fileName: 'invoice.pdf',
      contentType: 'application/pdf',
      size: png.length,
      sha256: sha256(png),
    });
    expect((await put(created.body.upload, png)).status).toBe(200);

    const sent = await post(streamed, 'sendWhatsAppDocumentMessage', { to: '39123456789', mediaId: created.body.mediaId });

    expect(sent.status).toBe(415);
    expect(sent.body.error?.code).toBe('CONTENT_MISMATCH');
    expect(sent.body.error?.message).toContain('PNG');
    expect(sandbox.received).toHaveLength(0);
    expect(await direct.exists(`${KEY_PREFIX}${created.body.mediaId}`)).toBe(0);
    expect(await streamed.storage.head(objectKeyOf(created.body.mediaId))).toBeUndefined();
  });

  it('Infobip refusing the message: 502, and the key and the object are deleted', async () => {
    const bytes = fileOf('image/png', 1000);
    const created = await createUpload(streamed, {
      kind: 'image',
      fileName: 'a.png',
      contentType: 'image/png',
      size: bytes.length,
      sha256: sha256(bytes),
    });
    await put(created.body.upload, bytes);
    sandbox.failNext({ status: 400 });

    const sent = await post(streamed, 'sendWhatsAppImageMessage', { to: '39123456789', mediaId: created.body.mediaId });

    expect(sent.status).toBe(502);
    expect(await direct.exists(`${KEY_PREFIX}${created.body.mediaId}`)).toBe(0);
    expect(await streamed.storage.head(objectKeyOf(created.body.mediaId))).toBeUndefined();
  });

  it('a closed 24-hour window under enforce: 422, nothing sent, and the key and the object deleted', async () => {
    const to = `3912${Math.floor(Math.random() * 1e8)}`;
    await direct.zadd(conversationKey(BUSINESS_NUMBER, to)!, Date.now() - 2 * WINDOW_MS, LAST_MESSAGE_MEMBER);
    const mediaId = await uploadedPdf(enforced, 5000);
    const created = { body: { mediaId } };
    expect(await enforced.storage.head(objectKeyOf(mediaId))).toBeDefined();

    const sent = await post(enforced, 'sendWhatsAppDocumentMessage', { to, mediaId: created.body.mediaId });

    expect(sent.status).toBe(422);
    expect(sent.body.error).toMatchObject({ code: 'CONVERSATION_WINDOW_CLOSED', retryable: false });
    expect(sandbox.received).toHaveLength(0);
    expect(await direct.exists(`${KEY_PREFIX}${created.body.mediaId}`)).toBe(0);
    expect(await enforced.storage.head(objectKeyOf(created.body.mediaId))).toBeUndefined();
  });

  it('an open 24-hour window under enforce sends the upload as usual', async () => {
    const to = `3913${Math.floor(Math.random() * 1e8)}`;
    await direct.zadd(conversationKey(BUSINESS_NUMBER, to)!, Date.now() - 60_000, LAST_MESSAGE_MEMBER);
    const created = { body: { mediaId: await uploadedPdf(enforced, 5000) } };

    const sent = await post(enforced, 'sendWhatsAppDocumentMessage', { to, mediaId: created.body.mediaId });

    expect(sent.status).toBe(200);
    expect(sent.body.conversationWindow).toMatchObject({ open: true });
    expect(sandbox.received).toHaveLength(1);
    expect(await enforced.storage.head(objectKeyOf(created.body.mediaId))).toBeDefined();
  });

  it('one upload, one message: a second message with the same mediaId is 409 UPLOAD_ALREADY_SENT, nothing sent', async () => {
    const created = { body: { mediaId: await uploadedPdf(streamed, 4000) } };
    const first = await post(streamed, 'sendWhatsAppDocumentMessage', {
      to: '39123456789',
      mediaId: created.body.mediaId,
      messageId: `first-${randomUUID()}`,
    });
    expect(first.status).toBe(200);
    await sandbox.waitForMediaFetches(2, 30_000);

    const second = await post(streamed, 'sendWhatsAppDocumentMessage', { to: '39987654321', mediaId: created.body.mediaId });

    expect(second.status).toBe(409);
    expect(second.body.error).toMatchObject({ code: 'UPLOAD_ALREADY_SENT', retryable: false });
    expect(second.body.error?.message).toContain(String(first.body.messageId));
    expect(second.body.error?.message).toContain('POST /imchannel/media');
    expect(sandbox.received.filter((r) => r.path.startsWith('/omni/'))).toHaveLength(1);
  });

  it('without an Idempotency-Key or messageId, the 409 names the messageId the first send answered and Infobip took', async () => {
    const mediaId = await uploadedPdf(streamed, 4000);
    const first = await post(streamed, 'sendWhatsAppDocumentMessage', { to: '39123456789', mediaId });
    expect(first.status).toBe(200);
    await sandbox.waitForMediaFetches(2, 30_000);

    const second = await post(streamed, 'sendWhatsAppDocumentMessage', { to: '39123456789', mediaId });

    expect(second.status).toBe(409);
    expect(second.body.error).toMatchObject({ code: 'UPLOAD_ALREADY_SENT' });
    const named = /already sent as message (\S+),/.exec(String(second.body.error?.message))?.[1];
    expect(named).toBe(first.body.messageId);
    // The id is the one Infobip was given for the message, so its reports carry it too.
    const omni = sandbox.received.filter((r) => r.path.startsWith('/omni/'));
    expect(omni).toHaveLength(1);
    expect(JSON.stringify(omni[0]?.body)).toContain(`"messageId":"${String(first.body.messageId)}"`);
  });

  it("a mediaId sent on another kind's route: 400 naming the right route", async () => {
    const created = await createUpload(streamed, {
      kind: 'video',
      fileName: 'v.mp4',
      contentType: 'video/mp4',
      size: 1000,
      sha256: NO_BYTES,
    });
    const sent = await post(streamed, 'sendWhatsAppImageMessage', { to: '39123456789', mediaId: created.body.mediaId });
    expect(sent.status).toBe(400);
    expect(sent.body.error?.message).toContain('/imchannel/sendWhatsAppVideoMessage');
  });

  it("an upload over the kind's limit (5 MB image), or of a type the kind does not take: 413, 415, nothing stored", async () => {
    const before = (await direct.keys(`${KEY_PREFIX}*`)).length;
    const big = await createUpload(streamed, {
      kind: 'image',
      fileName: 'a.png',
      contentType: 'image/png',
      size: 5 * MB + 1,
      sha256: NO_BYTES,
    });
    const wrongType = await createUpload(streamed, {
      kind: 'image',
      fileName: 'a.gif',
      contentType: 'image/gif',
      size: 10,
      sha256: NO_BYTES,
    });
    const exactly = await createUpload(streamed, {
      kind: 'image',
      fileName: 'a.png',
      contentType: 'image/png',
      size: 5 * MB,
      sha256: NO_BYTES,
    });
    expect(big.status).toBe(413);
    expect(wrongType.status).toBe(415);
    expect(exactly.status).toBe(200);
    expect((await direct.keys(`${KEY_PREFIX}*`)).length).toBe(before + 1);
  });
});

describe('expiry', () => {
  it('a fetch after the key expired is 404 although the object is still in the bucket', async () => {
    const bytes = fileOf('audio/mpeg', 3000);
    const created = await createUpload(streamed, {
      kind: 'audio',
      fileName: 'v.mp3',
      contentType: 'audio/mpeg',
      size: bytes.length,
      sha256: sha256(bytes),
    });
    await put(created.body.upload, bytes);
    await direct.del(`${KEY_PREFIX}${created.body.mediaId}`); // what EX does when it runs out

    const viaStream = await fetch(`${streamed.streamUrl}/getAudioMessage/${created.body.mediaId}`);
    const viaApi = await fetch(`${redirected.publicUrl}/getAudioMessage/${created.body.mediaId}`, { redirect: 'manual' });

    expect(viaStream.status).toBe(404);
    expect(viaApi.status).toBe(404);
    expect(await streamed.storage.head(objectKeyOf(created.body.mediaId))).toEqual({
      size: bytes.length,
      contentType: 'audio/mpeg',
      metadata: {},
    });
  });
});

/**
 * A menu's header naming an upload (lib/interactive/send.ts): the media send's checks and
 * serving (lib/media/sendStored.ts, readyUpload), on the real Redis, S3 and sandbox.
 */
describe("a menu's header by mediaId", () => {
  const infobip = { sender: BUSINESS_NUMBER };
  const buttons = (mediaId: string, type = 'DOCUMENT') => ({
    to: '39123456789',
    infobip,
    text: 'Your contract',
    buttons: [{ id: 'sign', title: 'Sign' }],
    header: { type, mediaId },
  });

  it("a 6 MB PDF, over the inline limit, heads reply buttons: Infobip gets the streaming URL and the upload's name, and fetches the same bytes", async () => {
    const bytes = fileOf('application/pdf', 6 * MB);
    const mediaId = await uploadedPdf(streamed, bytes);

    const sent = await post(streamed, 'sendWhatsAppButtonsMessage', buttons(mediaId));
    const [head, get] = await sandbox.waitForMediaFetches(2, 60_000);

    expect(sent.status).toBe(200);
    const mediaUrl = `${streamed.streamUrl}/getDocumentMessage/${mediaId}`;
    expect(sent.body).toMatchObject({ mediaId, mediaUrl, transport: 'whatsapp' });
    const request = sandbox.received.find((r) => r.path === '/whatsapp/1/message/interactive/buttons');
    expect((request?.body as { content: { header: unknown } }).content.header).toEqual({
      type: 'DOCUMENT',
      mediaUrl,
      filename: 'contract.pdf',
    });
    expect(head).toMatchObject({ method: 'HEAD', status: 200 });
    expect(get).toMatchObject({ method: 'GET', status: 200, bodyBytes: bytes.length, bodySha256: sha256(bytes) });
    // One upload, one message: the mark names the message Infobip took.
    expect(await direct.get(`IMChannel:UploadSent:${mediaId}`)).toBe(sent.body.messageId);
  }, 120_000);

  it('a link button in redirect mode gives Infobip the API URL of the upload', async () => {
    const bytes = fileOf('image/png', 3000);
    const created = await createUpload(redirected, {
      kind: 'image',
      fileName: 'promo.png',
      contentType: 'image/png',
      size: bytes.length,
      sha256: sha256(bytes),
    });
    await put(created.body.upload, bytes);

    const sent = await post(redirected, 'sendWhatsAppUrlButtonMessage', {
      to: '39123456789',
      infobip,
      text: 'New in store',
      displayText: 'Shop',
      url: 'https://example.com/shop',
      header: { type: 'IMAGE', mediaId: created.body.mediaId },
    });

    expect(sent.status).toBe(200);
    expect(sent.body.mediaUrl).toBe(`${redirected.publicUrl}/getImageMessage/${created.body.mediaId}`);
  });

  it('refused as a media send refuses: not PUT yet 409 (kept), a video in a DOCUMENT header 400, nothing sent', async () => {
    const bytes = fileOf('video/mp4', 2000);
    const video = await createUpload(streamed, {
      kind: 'video',
      fileName: 'v.mp4',
      contentType: 'video/mp4',
      size: bytes.length,
      sha256: sha256(bytes),
    });

    const missing = await post(streamed, 'sendWhatsAppButtonsMessage', buttons(video.body.mediaId, 'VIDEO'));
    await put(video.body.upload, bytes);
    const wrongKind = await post(streamed, 'sendWhatsAppButtonsMessage', buttons(video.body.mediaId, 'DOCUMENT'));

    expect(missing.status).toBe(409);
    expect(missing.body.error).toMatchObject({ code: 'UPLOAD_MISSING', retryable: true });
    expect(wrongKind.status).toBe(400);
    expect(wrongKind.body.error?.message).toContain('a header of type VIDEO');
    expect(await direct.exists(`${KEY_PREFIX}${video.body.mediaId}`)).toBe(1);
    expect(sandbox.received).toHaveLength(0);
  });

  it('Infobip refusing the menu: 502, and the key and the object are deleted', async () => {
    const mediaId = await uploadedPdf(streamed, 4000);
    sandbox.failNext({ status: 400 });

    const sent = await post(streamed, 'sendWhatsAppButtonsMessage', buttons(mediaId));

    expect(sent.status).toBe(502);
    expect(await direct.exists(`${KEY_PREFIX}${mediaId}`)).toBe(0);
    expect(await streamed.storage.head(objectKeyOf(mediaId))).toBeUndefined();
  });

  it('a closed 24-hour window under enforce: 422, nothing sent, and the key and the object deleted', async () => {
    const to = `3914${Math.floor(Math.random() * 1e8)}`;
    await direct.zadd(conversationKey(BUSINESS_NUMBER, to)!, Date.now() - 2 * WINDOW_MS, LAST_MESSAGE_MEMBER);
    const mediaId = await uploadedPdf(enforced, 5000);

    const sent = await post(enforced, 'sendWhatsAppButtonsMessage', { ...buttons(mediaId), to });

    expect(sent.status).toBe(422);
    expect(sent.body.error).toMatchObject({ code: 'CONVERSATION_WINDOW_CLOSED' });
    expect(sandbox.received).toHaveLength(0);
    expect(await direct.exists(`${KEY_PREFIX}${mediaId}`)).toBe(0);
    expect(await enforced.storage.head(objectKeyOf(mediaId))).toBeUndefined();
  });
});
