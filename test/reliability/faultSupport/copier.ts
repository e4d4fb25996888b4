import { createHash, randomBytes } from 'node:crypto';
import { AwsClient } from 'aws4fetch';
import { createDedupe } from '../../../lib/inbound/dedupe';
import type { Forwarder } from '../../../lib/inbound/forwarder';
import { makeCopyInboundMediaHandler } from '../../../lib/inboundMedia/functions';
import { createDownloadLimiter, type DownloadLimiter } from '../../../lib/inboundMedia/rate';
import { inboundObjectKey, INBOUND_PREFIX, PARTIAL_PREFIX, sourceOf } from '../../../lib/inboundMedia/reference';
import { createInboundMediaStep, type CopyRequest } from '../../../lib/inboundMedia/step';
import type { InboundMediaStep } from '../../../lib/inbound/webhook';
import { createObjectStorage, type ObjectStorage } from '../../../lib/media/objects';
import { INFOBIP_MEDIA_LIMITS, type InboundMediaConfig } from '../../../lib/platform/config';
import type { TaggedLogger } from '../../../lib/platform/log';
import { createRedis } from '../../../lib/platform/redis';
import type { AddedInboundMedia, InfobipSandbox } from '../../../tools/infobipSandbox';
import type { LocalS3 } from '../../../tools/localS3';
import { startAsyncLambda, type AsyncLambda } from './asyncLambda';

/**
 * copyInboundMedia as AWS runs it, in this process: onMessage's step hands each file to an
 * asynchronous invoke (./asyncLambda.ts) whose containers are the production handler
 * (makeCopyInboundMediaHandler) on a real Redis through the Upstash proxy, the local S3 and
 * the Infobip sandbox, announcing through a real forwarder to the ctlive sink. Then, per
 * file, what the copies left behind: the object under its final key, the writes to that key,
 * and the events ctlive received.
 */

export interface CopierOptions {
  redis: { url: string; token: string };
  s3: LocalS3;
  apiKey: string;
  allowedHosts: readonly string[];
  /** One per container, as each Lambda has its own. */
  forwarder: () => Forwarder;
  logger: (tag: string) => TaggedLogger;
  /** serverless.yml's copierReservedConcurrency. */
  reservedConcurrency?: number;
  /** The function's timeout; serverless.yml gives the copier 180 s, far more than a test waits. */
  timeoutMs?: number;
  retryDelaysMs?: readonly number[];
  /** Between the copier and Infobip, for a test that stops a run in the middle of a file. */
  fetch?: typeof fetch;
}

export interface Copier {
  config: InboundMediaConfig;
  /** onMessage's step for customers' files, handing them to `lambda`. */
  step: InboundMediaStep;
  lambda: AsyncLambda<CopyRequest>;
  storage: ObjectStorage;
  /** When the copies' limiter let each download go, ms since the epoch. */
  slotsTaken: number[];
}

export function startCopier(options: CopierOptions): Copier {
  const config: InboundMediaConfig = {
    publicUrl: 'https://imchannel.example/tenant/imchannel',
    linkSecret: randomBytes(32).toString('hex'),
    linkTtlSeconds: 3_600,
    allowedHosts: [...options.allowedHosts],
  };
  const { bucket, region, url: endpoint, accessKeyId, secretAccessKey } = options.s3;
  const storageOf = (log: TaggedLogger) =>
    createObjectStorage(
      // What the copier reads of the bucket's settings; the upload and fetch ones go unused.
      {
        bucket,
        region,
        endpoint,
        credentials: { accessKeyId, secretAccessKey },
        uploadTtlSeconds: 300,
        fetchMode: 'stream',
        limits: { ...INFOBIP_MEDIA_LIMITS },
      },
      log,
    );
  const slotsTaken: number[] = [];
  const lambda = startAsyncLambda<CopyRequest>({
    reservedConcurrency: options.reservedConcurrency ?? 5,
    timeoutMs: options.timeoutMs ?? 30_000,
    retryDelaysMs: options.retryDelaysMs,
    container: () => {
      const log = options.logger('copyInboundMedia');
      const redis = createRedis(options.redis);
      const handler = makeCopyInboundMediaHandler({
        log,
        config,
        apiKey: options.apiKey,
        storage: storageOf(log),
        limiter: recorded(createDownloadLimiter(redis), slotsTaken),
        redis,
        dedupe: createDedupe(redis),
        forwarder: options.forwarder(),
        fetch: options.fetch,
      });
      return (event) => handler(event);
    },
  });
  const step = createInboundMediaStep(config, {
    async request(requests) {
      for (const request of requests) lambda.invoke(request);
    },
  });
  return { config, step, lambda, storage: storageOf(options.logger('check')), slotsTaken };
}

/** The limiter, noting when each download was let go (ms since the epoch). */
function recorded(limiter: DownloadLimiter, slotsTaken: number[]): DownloadLimiter {
  return {
    async take(host, maxWaitMs) {
      await limiter.take(host, maxWaitMs);
      slotsTaken.push(Date.now());
    },
  };
}

/** IMChannel's id of a file the sandbox keeps. */
export function idOf(file: AddedInboundMedia, allowedHosts: readonly string[]): string {
  const source = sourceOf(file.url, allowedHosts);
  if (typeof source === 'string') throw new Error(`the sandbox's URL is not copyable: ${source}`);
  return source.id;
}

const sha256 = (bytes: Buffer) => createHash('sha256').update(bytes).digest('hex');

/** Every key under `prefix`, through S3's own listing (ListObjectsV2, page by page). */
async function listKeys(s3: LocalS3, prefix: string): Promise<string[]> {
  const client = new AwsClient({
    accessKeyId: s3.accessKeyId,
    secretAccessKey: s3.secretAccessKey,
    service: 's3',
    region: s3.region,
  });
  const keys: string[] = [];
  let token: string | undefined;
  do {
    const url = new URL(`${s3.url}/${s3.bucket}`);
    url.searchParams.set('list-type', '2');
    url.searchParams.set('prefix', prefix);
    if (token !== undefined) url.searchParams.set('continuation-token', token);
    const res = await client.fetch(url.toString());
    const xml = await res.text();
    if (res.status !== 200) throw new Error(`S3 listing answered ${res.status}: ${xml.slice(0, 200)}`);
    keys.push(...[...xml.matchAll(/<Key>([^<]*)<\/Key>/g)].map((m) => m[1] as string));
    token = /<IsTruncated>true<\/IsTruncated>/.test(xml) ? /<NextContinuationToken>([^<]*)</.exec(xml)?.[1] : undefined;
  } while (token !== undefined);
  return keys;
}

interface SinkEvent {
  event: string;
  messageId: string;
  reason?: string;
  media?: { id?: string; sha256?: string; size?: number };
}

/** What became of one file: in the bucket, written how often, and announced how. */
export interface FileVerdict {
  messageId: string;
  id: string;
  /** The object under `inbound/<id>`: its bytes' sha256 and the digest in its metadata; undefined when absent. */
  object?: { sha256: string; metadataSha256?: string; size: number };
  /** PUTs to the final key (the S3-side copy that lands it): 1 for a file stored once. */
  writesToFinalKey: number;
  messageEvents: number;
  stored: SinkEvent[];
  failed: SinkEvent[];
  /** The message's own event reached ctlive before its file's announcement. */
  messageFirst: boolean;
}

export interface CheckedFile {
  messageId: string;
  file: AddedInboundMedia;
}

/** The verdict on each file, a few at a time (S3 is read once per file). */
export async function verdicts(
  copier: Copier,
  s3: LocalS3,
  received: readonly unknown[],
  files: readonly CheckedFile[],
): Promise<FileVerdict[]> {
  const events = received as SinkEvent[];
  const byMessage = new Map<string, { index: number; event: SinkEvent }[]>();
  events.forEach((event, index) => {
    const list = byMessage.get(event.messageId) ?? [];
    list.push({ index, event });
    byMessage.set(event.messageId, list);
  });
  const writes = new Map<string, number>();
  for (const r of s3.requests) if (r.method === 'PUT') writes.set(r.path, (writes.get(r.path) ?? 0) + 1);
  const one = async ({ messageId, file }: CheckedFile): Promise<FileVerdict> => {
    const id = idOf(file, copier.config.allowedHosts);
    const key = inboundObjectKey(id);
    const head = await copier.storage.head(key);
    const body = head === undefined ? undefined : await copier.storage.get(key);
    const bytes = body === undefined ? undefined : Buffer.from(await body.arrayBuffer());
    const mine = byMessage.get(messageId) ?? [];
    const of = (name: string) => mine.filter((e) => e.event.event === name);
    const message = of('message');
    const announced = [...of('mediaStored'), ...of('mediaFailed')];
    return {
      messageId,
      id,
      object:
        head === undefined || bytes === undefined
          ? undefined
          : { sha256: sha256(bytes), metadataSha256: head.metadata.sha256, size: bytes.length },
      writesToFinalKey: writes.get(`/${s3.bucket}/${key}`) ?? 0,
      messageEvents: message.length,
      stored: of('mediaStored').map((e) => e.event),
      failed: of('mediaFailed').map((e) => e.event),
      messageFirst: message.length > 0 && announced.every((a) => a.index > (message[0]?.index ?? Infinity)),
    };
  };
  const out: FileVerdict[] = [];
  for (let i = 0; i < files.length; i += 20) out.push(...(await Promise.all(files.slice(i, i + 20).map(one))));
  return out;
}

/** The keys under the final prefix and the partial one. */
export async function bucketKeys(s3: LocalS3): Promise<{ final: string[]; partial: string[] }> {
  return { final: await listKeys(s3, INBOUND_PREFIX), partial: await listKeys(s3, PARTIAL_PREFIX) };
}

/** Requests to the CDN that carried the API key, and requests to Infobip's API host that did not. */
export function keyLeaks(sandbox: InfobipSandbox) {
  const requests = sandbox.inboundMediaRequests;
  return {
    cdnWithKey: requests.filter((r) => r.host === 'cdn' && r.withKey).length,
    apiWithoutKey: requests.filter((r) => r.host === 'api' && !r.withKey).length,
  };
}
