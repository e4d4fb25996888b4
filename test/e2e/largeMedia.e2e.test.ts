/**
 * Large files through the whole local stack, as ctlive and Infobip see it:
 * the upload route under serverless-offline, the PUT straight to the stack's S3 (s3rver),
 * the send by mediaId, and the sandbox's HEAD then GET on the streaming route, which runs
 * the fetch functions' streaming code as their Function URLs do on AWS.
 */
import { createHash, randomBytes } from 'node:crypto';
import IORedis from 'ioredis';
import { startLocalStack, type LocalStack } from '../../tools/stack';
import { expectMatchesOpenApi } from '../support/openapi';
import { createObjectStorage, objectKeyOf } from '../../lib/media/objects';
import { INFOBIP_MEDIA_LIMITS } from '../../lib/platform/config';
import { createLogger } from '../../lib/platform/log';
import { leadingBytes, sampleFile } from '../support/sampleFile';

const MB = 1024 * 1024;
const sha256 = (data: Buffer) => createHash('sha256').update(data).digest('hex');
const fileOf = (contentType: string, size: number) => {
  const lead = leadingBytes(contentType);
  return Buffer.concat([lead, randomBytes(size - lead.length)]);
};

describe('large files through the local stack', () => {
  let stack: LocalStack;
  let direct: IORedis;

  beforeAll(async () => {
    stack = await startLocalStack({ freePorts: true, env: {}, output: () => undefined });
    direct = new IORedis(stack.redisUrl);
  }, 180_000);
  afterAll(async () => {
    direct?.disconnect();
    await stack?.stop();
  }, 30_000);
  beforeEach(() => stack.sandbox.reset());

  const post = async (route: string, body: unknown) => {
    const res = await fetch(`${stack.apiUrl}/${route}`, {
      method: 'POST',
      headers: { authorization: `Bearer ${stack.token}`, 'content-type': 'application/json' },
      body: JSON.stringify(body),
    });
    const json = (await res.json()) as Record<string, unknown>;
    expectMatchesOpenApi('POST', res.url, res.status, json);
    return { status: res.status, body: json };
  };

  const CASES = [
    { label: 'a 15 MB video', kind: 'video', route: 'Video', fileName: 'clip.mp4', contentType: 'video/mp4', size: 15 * MB },
    {
      label: 'a 100 MB PDF',
      kind: 'document',
      route: 'Document',
      fileName: 'contratto firmato.pdf',
      contentType: 'application/pdf',
      size: 100 * MB,
    },
  ] as const;

  it.each(CASES)(
    '$label goes from the upload to the sandbox HEAD and GET with the same SHA-256',
    async (file) => {
      const bytes = fileOf(file.contentType, file.size);
      const digest = sha256(bytes);

      const created = await post('media', {
        kind: file.kind,
        fileName: file.fileName,
        contentType: file.contentType,
        size: file.size,
        sha256: digest,
      });
      expect(created.status).toBe(200);
      const { mediaId, upload } = created.body as {
        mediaId: string;
        upload: { method: string; url: string; headers: Record<string, string> };
      };
      expect(upload.url.startsWith(`${stack.s3.url}/${stack.s3.bucket}/`)).toBe(true);
      const put = await fetch(upload.url, { method: upload.method, headers: upload.headers, body: bytes });
      expect(put.status).toBe(200);

      const sent = await post(`sendWhatsApp${file.route}Message`, { to: '39123456789', mediaId });
      const [head, get] = await stack.sandbox.waitForMediaFetches(2, 120_000);

      expect(sent.status).toBe(200);
      expect(sent.body.mediaUrl).toBe(`${stack.streamUrl}/get${file.route}Message/${mediaId}`);
      expect({ method: head?.method, status: head?.status, error: head?.error }).toEqual({
        method: 'HEAD',
        status: 200,
        error: undefined,
      });
      expect({
        method: get?.method,
        status: get?.status,
        bytes: get?.bodyBytes,
        sha256: get?.bodySha256,
        error: get?.error,
      }).toEqual({
        method: 'GET',
        status: 200,
        bytes: file.size,
        sha256: digest,
        error: undefined,
      });
      expect(get?.headers['content-type']).toBe(file.contentType);
      // The sandbox judges the file as Infobip documents its limits: delivered.
      const ttl = await direct.ttl(`IMChannel:MultimediaMessage:${mediaId}`);
      expect(ttl).toBeGreaterThan(0);
      expect(ttl).toBeLessThanOrEqual(60);
    },
    240_000,
  );

  it('a 4 MiB image still takes the inline path (base64 in the send, served from Redis through the API)', async () => {
    const bytes = sampleFile('image/png', 4 * MB);

    const sent = await post('sendWhatsAppImageMessage', {
      to: '39123456789',
      fileName: 'a.png',
      contentType: 'image/png',
      content: bytes.toString('base64'),
    });
    const [, get] = await stack.sandbox.waitForMediaFetches(2, 60_000);

    expect(sent.status).toBe(200);
    expect(sent.body.mediaUrl).toBe(`${stack.apiUrl}/getImageMessage/${String(sent.body.mediaId)}`);
    expect({ status: get?.status, sha256: get?.bodySha256 }).toEqual({ status: 200, sha256: sha256(bytes) });
  }, 120_000);

  it('a fetch after the key expired is 404 while the object is still in S3', async () => {
    const bytes = fileOf('video/mp4', 2 * MB);
    const created = await post('media', {
      kind: 'video',
      fileName: 'v.mp4',
      contentType: 'video/mp4',
      size: bytes.length,
      sha256: sha256(bytes),
    });
    const { mediaId, upload } = created.body as { mediaId: string; upload: { url: string; headers: Record<string, string> } };
    await fetch(upload.url, { method: 'PUT', headers: upload.headers, body: bytes });
    await direct.del(`IMChannel:MultimediaMessage:${mediaId}`);

    const streamed = await fetch(`${stack.streamUrl}/getVideoMessage/${mediaId}`);
    const viaApi = await fetch(`${stack.apiUrl}/getVideoMessage/${mediaId}`, { redirect: 'manual' });
    const storage = createObjectStorage(
      {
        bucket: stack.s3.bucket,
        region: stack.s3.region,
        endpoint: stack.s3.url,
        credentials: { accessKeyId: stack.s3.accessKeyId, secretAccessKey: stack.s3.secretAccessKey },
        uploadTtlSeconds: 60,
        fetchMode: 'stream',
        limits: { ...INFOBIP_MEDIA_LIMITS },
      },
      createLogger('test', { format: 'text', level: 'ERROR', sink: () => undefined }),
    );

    expect(streamed.status).toBe(404);
    expect(viaApi.status).toBe(404);
    expect(await storage.head(objectKeyOf(mediaId))).toEqual({ size: bytes.length, contentType: 'video/mp4', metadata: {} });
  }, 60_000);
});
