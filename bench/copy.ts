/**
 * Table 8 of `npm run bench` (`--only copy` runs it alone): the copier of customers' files
 * (copyInboundMedia, the shipped bundle, in a process of its own: bench/copyChild.ts) copying
 * documents of 1 MB, 25 MB and 100 MB (1 and 25 in `--short`) from the Infobip sandbox's
 * inbound media path into the local S3 (s3rver behind the SigV4 check), announcing each to
 * a ctlive sink: its time, its throughput, and its peak RSS above what the process had after
 * loading. Redis is real, through the Upstash proxy.
 *
 * Target: the copy streams (a partial object PUT with its length, then an S3-side copy), so
 * its peak above load stays under STREAM_PEAK_TARGET_BYTES whatever the file's size, as the
 * streaming fetch's does; a buffered copy would hold the whole file.
 */
import { fork, type ChildProcess } from 'node:child_process';
import { randomBytes, randomUUID } from 'node:crypto';
import { createObjectStorage } from '../lib/media/objects';
import { createLogger } from '../lib/platform/log';
import { createRedis, redisKeys } from '../lib/platform/redis';
import { inboundObjectKey, sourceOf } from '../lib/inboundMedia/reference';
import { startCtliveSink } from '../tools/ctliveSink';
import { startInfobipSandbox } from '../tools/infobipSandbox';
import { objectStorageConfigOf, startLocalS3 } from '../tools/localS3';
import { findRedis } from '../tools/localRedis';
import { startUpstashProxy } from '../tools/upstashProxy';
import { functionEnv } from './functionEnv';
import { STREAM_PEAK_TARGET_BYTES } from './stream';
import type { CopyChildDone, CopyChildReady } from './copyChild';

const MB = 1024 * 1024;
export const COPY_FUNCTION = 'copyInboundMedia';

export interface CopyRow {
  sizeBytes: number;
  seconds: number;
  /** Of the file, MiB per second, download and S3 writes together. */
  mibPerSecond: number;
  rssAfterLoadBytes: number;
  /** The highest RSS sampled during the copy (or the kernel's peak, if higher), less the RSS after load. */
  peakAboveLoadBytes: number;
  maxRssBytes: number;
  /** The mediaStored event the sink received names the bytes the sandbox served. */
  sha256Matches: boolean;
  meets: boolean;
}

export interface CopyReport {
  function: string;
  targetAboveLoadBytes: number;
  rows: CopyRow[];
}

export async function measureCopy(
  bundle: string,
  copyChild: string,
  options: { redisUrl?: string; short: boolean },
  log: (line: string) => void,
): Promise<CopyReport> {
  const sizes = options.short ? [1 * MB, 25 * MB] : [1 * MB, 25 * MB, 100 * MB];
  const redisServer = await findRedis(options.redisUrl);
  const proxy = await startUpstashProxy({ redisUrl: redisServer.url, token: randomBytes(16).toString('hex'), port: 0 });
  const s3 = await startLocalS3();
  const sandboxKey = `bench-${randomUUID()}`;
  const sandbox = await startInfobipSandbox({ apiKey: sandboxKey, port: 0, deliveryReports: false, log: () => undefined });
  const sinkToken = randomBytes(16).toString('hex');
  const quiet = createLogger('bench', { format: 'text', level: 'ERROR', sink: () => undefined });
  const sink = await startCtliveSink({ token: sinkToken, port: 0, log: () => undefined });
  const redis = createRedis(proxy);
  const storage = createObjectStorage(objectStorageConfigOf(s3), quiet);
  const written: { objectKey: string; messageId: string }[] = [];
  const children = new Set<ChildProcess>();

  /** One size in a fresh process, as a new Lambda instance's first invoke. */
  const copyInFreshProcess = async (size: number): Promise<CopyRow> => {
    const env = {
      ...functionEnv(COPY_FUNCTION, {
        proxyUrl: proxy.url,
        proxyToken: proxy.token,
        sandboxUrl: sandbox.url,
        sandboxKey,
        sinkUrl: sink.url,
        sinkToken,
      }),
      MEDIA_BUCKET: s3.bucket,
      MEDIA_BUCKET_REGION: s3.region,
      MEDIA_S3_ENDPOINT: s3.url,
      MEDIA_S3_ACCESS_KEY_ID: s3.accessKeyId,
      MEDIA_S3_SECRET_ACCESS_KEY: s3.secretAccessKey,
    };
    // stdout to /dev/null: the function's log lines, as in production.
    const child = fork(copyChild, [bundle], { env, stdio: ['ignore', 'ignore', 'pipe', 'ipc'], execArgv: [] });
    children.add(child);
    let stderr = '';
    child.stderr?.on('data', (chunk: Buffer) => (stderr = (stderr + chunk.toString('utf8')).slice(-2000)));
    try {
      const ready = await new Promise<CopyChildReady>((resolve, reject) => {
        child.once('message', (message: CopyChildReady) => resolve(message));
        child.once('exit', (code) => reject(new Error(`the copy child exited with ${code}: ${stderr.trim()}`)));
      });
      const bytes = Buffer.concat([Buffer.from('%PDF-1.7\n'), randomBytes(size - 9)]);
      const added = sandbox.addInboundMedia({ bytes, contentType: 'application/pdf' });
      const source = sourceOf(added.url, ['127.0.0.1']);
      if (typeof source === 'string') throw new Error(`the sandbox's URL is not copyable: ${source}`);
      const messageId = `wamid.BENCH${randomUUID()}`;
      written.push({ objectKey: inboundObjectKey(source.id), messageId });
      // The message's own event reached ctlive: the copier announces only after it.
      await redis.set(redisKeys.webhookEvent('message', messageId), 'done', { ex: 600 });
      const request = {
        id: source.id,
        sourceUrl: added.url,
        type: 'DOCUMENT',
        messageId,
        requestedAt: new Date().toISOString(),
      };
      const started = performance.now();
      const done = await new Promise<CopyChildDone>((resolve, reject) => {
        child.once('message', (message: CopyChildDone) => resolve(message));
        child.once('exit', (code) => reject(new Error(`the copy child exited with ${code}: ${stderr.trim()}`)));
        child.send({ type: 'copy', request });
      });
      const seconds = (performance.now() - started) / 1000;
      if (done.outcome !== 'stored') throw new Error(`the copy of ${size} bytes ended ${done.error ?? String(done.outcome)}`);
      const announced = (sink.received as { event?: string; messageId?: string; media?: { sha256?: string } }[]).find(
        (event) => event.event === 'mediaStored' && event.messageId === messageId,
      );
      const sha256Matches = announced?.media?.sha256 === added.sha256;
      const peakAboveLoadBytes = Math.max(done.peakBytes, done.maxRssBytes) - ready.rssBytes;
      log(
        `   ${(size / MB).toFixed(0)} MB: ${seconds.toFixed(2)} s (${(size / MB / seconds).toFixed(1)} MiB/s), peak ${(peakAboveLoadBytes / MB).toFixed(1)} MiB above load`,
      );
      return {
        sizeBytes: size,
        seconds,
        mibPerSecond: size / MB / seconds,
        rssAfterLoadBytes: ready.rssBytes,
        peakAboveLoadBytes,
        maxRssBytes: done.maxRssBytes,
        sha256Matches,
        meets: sha256Matches && peakAboveLoadBytes <= STREAM_PEAK_TARGET_BYTES,
      };
    } finally {
      if (child.exitCode === null) child.kill('SIGKILL');
      children.delete(child);
    }
  };

  try {
    const rows: CopyRow[] = [];
    for (const size of sizes) rows.push(await copyInFreshProcess(size));
    return { function: COPY_FUNCTION, targetAboveLoadBytes: STREAM_PEAK_TARGET_BYTES, rows };
  } finally {
    for (const child of children) child.kill('SIGKILL');
    for (const { objectKey, messageId } of written) {
      await storage.remove(objectKey).catch(() => undefined);
      const keys = await redis.keys(`${redisKeys.webhookEvent('media', messageId)}*`).catch(() => [] as string[]);
      await redis.del(redisKeys.webhookEvent('message', messageId), ...keys).catch(() => undefined);
    }
    await sink.close();
    await sandbox.close();
    await s3.close();
    await proxy.close();
    await redisServer.stop();
  }
}
