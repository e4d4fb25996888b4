/**
 * Customers' files on the real pieces: the Infobip sandbox serving them at Infobip's path,
 * the local S3 (s3rver), Redis through the Upstash proxy. The route that serves them (by
 * ctlive's bearer or a signed link, copying on demand), the shared download window, and the
 * copier waiting out Infobip's 429. The whole path through the local stack is
 * test/e2e/inboundMedia.e2e.test.ts; the faults and the load, test/reliability.
 */
import { createHash, randomBytes, randomUUID } from 'node:crypto';
import { startInfobipSandbox, type InfobipSandbox } from '../../tools/infobipSandbox';
import { objectStorageConfigOf, startLocalS3, type LocalS3 } from '../../tools/localS3';
import { findRedis } from '../../tools/localRedis';
import { startUpstashProxy, type UpstashProxy } from '../../tools/upstashProxy';
import { createLogger } from '../../lib/platform/log';
import { createRedis, redisKeys } from '../../lib/platform/redis';
import type { InboundMediaConfig } from '../../lib/platform/config';
import { createObjectStorage, type ObjectStorage } from '../../lib/media/objects';
import { createDedupe } from '../../lib/inbound/dedupe';
import { createDownloadLimiter } from '../../lib/inboundMedia/rate';
import { makeServeInboundMediaHandler } from '../../lib/inboundMedia/serve';
import { copyInboundMedia } from '../../lib/inboundMedia/copy';
import { linksOf, sourceOf } from '../../lib/inboundMedia/reference';
import { apiEvent, captureLines, lambdaContext } from '../support/lambda';
import { fakeForwarder } from '../support/inboundFakes';
import { leadingBytes } from '../support/sampleFile';

const TOKEN = `ctlive-${randomUUID()}`;
const API_KEY = `sandbox-${randomUUID()}`;
const sha256 = (bytes: Buffer) => createHash('sha256').update(bytes).digest('hex');

let proxy: UpstashProxy;
let s3: LocalS3;
let sandbox: InfobipSandbox;
let storage: ObjectStorage;
let config: InboundMediaConfig;
const lines = captureLines();
const log = (tag: string) => createLogger(tag, { format: 'text', level: 'INFO', sink: lines.sink, secrets: [TOKEN, API_KEY] });

beforeAll(async () => {
  const redis = await findRedis();
  proxy = await startUpstashProxy({ redisUrl: redis.url, token: `proxy-${randomUUID()}`, port: 0 });
  s3 = await startLocalS3();
  sandbox = await startInfobipSandbox({ apiKey: API_KEY, port: 0, deliveryReports: false });
  storage = createObjectStorage(objectStorageConfigOf(s3), log('s3'));
  config = {
    publicUrl: 'http://127.0.0.1:9/imchannel',
    linkSecret: `link-${randomUUID()}-${randomUUID()}`,
    linkTtlSeconds: 600,
    allowedHosts: ['127.0.0.1'],
  };
}, 30_000);

afterAll(async () => {
  await sandbox?.close();
  await s3?.close();
  await proxy?.close();
});

beforeEach(() => sandbox.reset());

/** A customer's photo, as the sandbox serves it, and IMChannel's id of it. */
function photo(options: { via?: 'direct' | 'redirect'; expiresInMs?: number } = {}) {
  const bytes = Buffer.concat([leadingBytes('image/jpeg'), randomBytes(30_000)]);
  const added = sandbox.addInboundMedia({ bytes, contentType: 'image/jpeg', ...options });
  const source = sourceOf(added.url, config.allowedHosts);
  if (typeof source === 'string') throw new Error(source);
  return { bytes, added, id: source.id };
}

describe('GET /imchannel/inboundMedia/{id}', () => {
  const handler = () =>
    makeServeInboundMediaHandler({
      log: log('getInboundMedia'),
      config,
      ctliveApiToken: TOKEN,
      apiKey: API_KEY,
      storage,
      limiter: createDownloadLimiter(createRedis(proxy)),
    });
  const get = async (id: string, options: { query?: Record<string, string>; bearer?: boolean } = {}) => {
    const headers: Record<string, string> = options.bearer === false ? {} : { authorization: `Bearer ${TOKEN}` };
    const event = apiEvent({
      method: 'GET',
      path: `/imchannel/inboundMedia/${id}`,
      headers,
      query: options.query,
      pathParameters: { id },
    });
    const res = await handler()(event, lambdaContext());
    return { status: res.statusCode, location: res.headers?.location as string | undefined, body: String(res.body ?? '') };
  };

  it('copies a file not copied yet, on demand, and redirects to exactly its bytes; the next GET asks Infobip nothing', async () => {
    const { bytes, added, id } = photo({ via: 'redirect' });

    const first = await get(id);
    expect(first.status).toBe(302);
    const fetched = Buffer.from(await (await fetch(first.location as string)).arrayBuffer());
    expect(sha256(fetched)).toBe(added.sha256);
    expect((await storage.head(`inbound/${id}`))?.metadata.sha256).toBe(sha256(bytes));

    const requestsBefore = sandbox.inboundMediaRequests.length;
    expect((await get(id)).status).toBe(302);
    expect(sandbox.inboundMediaRequests).toHaveLength(requestsBefore);
  });

  it('opens with a signed link and no credentials, and refuses a changed or expired one', async () => {
    const { id } = photo();
    const query = (url: string) => Object.fromEntries(new URL(url).searchParams);
    const valid = query(linksOf(config, id).downloadUrl);
    expect((await get(id, { query: valid, bearer: false })).status).toBe(302);
    expect((await get(id, { query: { ...valid, expires: String(Number(valid.expires) + 1) }, bearer: false })).status).toBe(401);
    const expired = query(linksOf(config, id, Date.now() - 3_600_000).downloadUrl);
    const refused = await get(id, { query: expired, bearer: false });
    expect(refused.status).toBe(403);
    expect(JSON.parse(refused.body).error.code).toBe('LINK_EXPIRED');
    expect((await get(id, { bearer: false })).status).toBe(401);
  });

  it('answers 410 for a file Infobip no longer has and that was never copied, and 404 for an id it never gave', async () => {
    const { id } = photo({ expiresInMs: 1 });
    await new Promise((resolve) => setTimeout(resolve, 5));
    const gone = await get(id);
    expect(gone.status).toBe(410);
    expect(JSON.parse(gone.body).error.code).toBe('MEDIA_EXPIRED');
    const forged = Buffer.from('https://collector.example.com/whatsapp/1/senders/1/media/x').toString('base64url');
    expect((await get(forged)).status).toBe(404);
  });
});

describe("Infobip's 15 downloads a second", () => {
  it('lets no more than 15 downloads from one host start in any second, however many copies ask at once', async () => {
    const limiter = createDownloadLimiter(createRedis(proxy));
    const host = `host-${randomUUID()}.example`;
    const started: number[] = [];
    await Promise.all(Array.from({ length: 40 }, () => limiter.take(host).then(() => started.push(Date.now()))));

    started.sort((a, b) => a - b);
    const busiest = Math.max(...started.map((t) => started.filter((u) => u >= t && u < t + 1000).length));
    expect(started).toHaveLength(40);
    expect(busiest).toBeLessThanOrEqual(15);
  }, 20_000);

  it("waits out Infobip's 429 and stores the file once", async () => {
    const { added, id } = photo();
    sandbox.inboundMediaFaults({ status: 429, times: 1 });
    const redis = createRedis(proxy);
    const forwarder = fakeForwarder();
    const messageId = `wamid.${randomUUID()}`;
    await redis.set(redisKeys.webhookEvent('message', messageId), 'done', { ex: 60 }); // the message reached ctlive

    const outcome = await copyInboundMedia(
      { id, sourceUrl: added.url, type: 'IMAGE', messageId, requestedAt: new Date().toISOString() },
      {
        log: log('copyInboundMedia'),
        config,
        apiKey: API_KEY,
        storage,
        limiter: createDownloadLimiter(redis),
        redis,
        dedupe: createDedupe(redis),
        forwarder,
      },
    );

    expect(outcome).toBe('stored');
    expect(sandbox.inboundMediaRequests.filter((r) => r.mediaId === added.mediaId).map((r) => r.status)).toEqual([429, 200]);
    expect(forwarder.sent).toEqual([expect.objectContaining({ event: 'mediaStored', messageId })]);
  }, 20_000);
});
