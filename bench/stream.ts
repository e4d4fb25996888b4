/**
 * Table 7 of `npm run bench` (`--only stream` runs it alone): peak RSS of the streaming fetch while it serves
 * documents of 1 MB, 25 MB and 100 MB (1 MB and 25 MB in `--short`) from S3. The shipped
 * onGetDocumentMessage bundle runs in a process of its own (bench/streamChild.ts) under a
 * stand-in for Lambda's response streaming, on the local stack's pieces: a real Redis
 * through the Upstash proxy, and s3rver behind the SigV4 check (tools/localS3.ts). Each
 * file is uploaded through a presigned PUT, its key written as the upload route writes it,
 * then fetched GET through the Function URL's shape and its SHA-256 compared.
 *
 * Target: the fetch holds a few chunks at a time, so its peak above the RSS the process had
 * after loading stays under STREAM_PEAK_TARGET_BYTES whatever the file's size (see there);
 * a buffered answer would need the whole file and its base64 in memory, over 230 MB for
 * 100 MB.
 */
import { fork, type ChildProcess } from 'node:child_process';
import { createHash, randomBytes, randomUUID } from 'node:crypto';
import { createObjectEntryStore } from '../lib/media/objectStore';
import { createObjectStorage, objectKeyOf } from '../lib/media/objects';
import { createLogger } from '../lib/platform/log';
import { createRedis } from '../lib/platform/redis';
import { objectStorageConfigOf, startLocalS3 } from '../tools/localS3';
import { findRedis } from '../tools/localRedis';
import { freePort } from '../tools/ports';
import { startUpstashProxy } from '../tools/upstashProxy';
import { functionEnv, UNUSED_SERVICES } from './functionEnv';
import type { StreamChildReady, StreamChildRss } from './streamChild';

const MB = 1024 * 1024;
/**
 * Peak RSS above the process's RSS after load, for any file size. V8 collects the spent
 * chunks of a stream (Buffers, memory outside its heap) once that memory has grown by about
 * 64 MiB since the last collection, so a streaming fetch's peak settles near that whatever
 * the file's size; 32 MiB more for the rest. A fifth of the functions' 512 MB.
 */
export const STREAM_PEAK_TARGET_BYTES = 96 * MB;
export const STREAM_FUNCTION = 'onGetDocumentMessage';

export interface StreamRow {
  sizeBytes: number;
  /** 1: the first fetch of a freshly loaded process (a new instance); 2: the next one, warm. */
  fetchInProcess: number;
  seconds: number;
  /** The process's RSS once the bundle was loaded and listening. */
  rssAfterLoadBytes: number;
  /** The fetch process's RSS just before this fetch. */
  startBytes: number;
  /** The highest RSS sampled during this fetch. */
  peakBytes: number;
  /** The peak (sampled, or the kernel's if higher) above the RSS the process had after loading the bundle. */
  peakAboveLoadBytes: number;
  /** The kernel's peak RSS of the process so far (every fetch up to this one). */
  maxRssBytes: number;
  sha256Matches: boolean;
  meets: boolean;
}

export interface StreamReport {
  function: string;
  targetAboveLoadBytes: number;
  rows: StreamRow[];
}

export async function measureStream(
  bundle: string,
  streamChild: string,
  options: { redisUrl?: string; short: boolean },
  log: (line: string) => void,
): Promise<StreamReport> {
  const sizes = options.short ? [1 * MB, 25 * MB] : [1 * MB, 25 * MB, 100 * MB];
  const redis = await findRedis(options.redisUrl);
  const proxy = await startUpstashProxy({ redisUrl: redis.url, token: randomBytes(16).toString('hex'), port: 0 });
  const s3 = await startLocalS3();
  const quiet = createLogger('bench', { format: 'text', level: 'ERROR', sink: () => undefined });
  const storage = createObjectStorage(objectStorageConfigOf(s3, { fetchMode: 'stream' }), quiet);
  const entries = createObjectEntryStore(createRedis(proxy), quiet);
  const ids: string[] = [];
  const children = new Set<ChildProcess>();

  /** A fresh process that loaded the bundle, as a new Lambda instance; `fetches` files through it in turn. */
  const inFreshProcess = async (fetches: number[]): Promise<StreamRow[]> => {
    const port = await freePort();
    const env = {
      ...functionEnv(STREAM_FUNCTION, { ...UNUSED_SERVICES, proxyUrl: proxy.url, proxyToken: proxy.token }),
      MEDIA_BUCKET: s3.bucket,
      MEDIA_BUCKET_REGION: s3.region,
      MEDIA_S3_ENDPOINT: s3.url,
      MEDIA_S3_ACCESS_KEY_ID: s3.accessKeyId,
      MEDIA_S3_SECRET_ACCESS_KEY: s3.secretAccessKey,
      MEDIA_STREAM_URL: `http://127.0.0.1:${port}`,
    };
    // stdout to /dev/null: the runbook lines of each fetch, as in production.
    const child = fork(streamChild, [bundle, String(port)], { env, stdio: ['ignore', 'ignore', 'pipe', 'ipc'], execArgv: [] });
    children.add(child);
    let stderr = '';
    child.stderr?.on('data', (chunk: Buffer) => (stderr = (stderr + chunk.toString('utf8')).slice(-2000)));
    try {
      const ready = await new Promise<StreamChildReady>((resolve, reject) => {
        child.once('message', (message: StreamChildReady) => resolve(message));
        child.once('exit', (code) => reject(new Error(`the stream child exited with ${code}: ${stderr.trim()}`)));
      });
      const base = `http://127.0.0.1:${port}`;
      const rss = async () => (await (await fetch(`${base}/__rss`)).json()) as StreamChildRss;
      const rows: StreamRow[] = [];
      for (const [index, size] of fetches.entries()) {
        const id = randomUUID();
        ids.push(id);
        const bytes = Buffer.concat([Buffer.from('%PDF-1.7\n'), randomBytes(size - 9)]);
        const upload = await storage.presignPut(objectKeyOf(id), { size, contentType: 'application/pdf' });
        const put = await fetch(upload.url, { method: 'PUT', headers: upload.headers, body: bytes });
        if (!put.ok) throw new Error(`the PUT of ${size} bytes answered ${put.status}: ${await put.text()}`);
        await entries.put(
          id,
          { kind: 'document', contentType: 'application/pdf', fileName: 'bench.pdf', size, objectKey: objectKeyOf(id) },
          600,
        );
        const before = await rss(); // also starts a fresh sampled peak
        const started = performance.now();
        const res = await fetch(`${base}/getDocumentMessage/${id}`);
        if (res.status !== 200) throw new Error(`the ${size}-byte fetch answered ${res.status}: ${await res.text()}`);
        const digest = createHash('sha256');
        let received = 0;
        for await (const chunk of res.body ?? []) {
          digest.update(chunk);
          received += chunk.length;
        }
        const seconds = (performance.now() - started) / 1000;
        if (received !== size) throw new Error(`the fetch of ${size} bytes gave ${received}`);
        const after = await rss();
        // The kernel's peak too, which no sampling can miss (for a second fetch it covers the first).
        const peakAboveLoadBytes = Math.max(after.peakBytes, after.maxRssBytes) - ready.rssBytes;
        const sha256Matches = digest.digest('hex') === createHash('sha256').update(bytes).digest('hex');
        rows.push({
          sizeBytes: size,
          fetchInProcess: index + 1,
          seconds,
          rssAfterLoadBytes: ready.rssBytes,
          startBytes: before.rssBytes,
          peakBytes: after.peakBytes,
          peakAboveLoadBytes,
          maxRssBytes: after.maxRssBytes,
          sha256Matches,
          meets: sha256Matches && peakAboveLoadBytes <= STREAM_PEAK_TARGET_BYTES,
        });
        log(
          `   ${(size / MB).toFixed(0)} MB (fetch ${index + 1} of its process): ${seconds.toFixed(2)} s, peak ${(peakAboveLoadBytes / MB).toFixed(1)} MiB above load`,
        );
        await storage.remove(objectKeyOf(id));
      }
      return rows;
    } finally {
      if (child.exitCode === null) child.kill('SIGKILL');
      children.delete(child);
    }
  };

  try {
    const rows: StreamRow[] = [];
    // Each size in a fresh process; the largest twice in its process, to show that a second
    // fetch on a warm instance adds nothing (no leak, no growth with the number of fetches).
    for (const [index, size] of sizes.entries()) {
      rows.push(...(await inFreshProcess(index === sizes.length - 1 ? [size, size] : [size])));
    }
    return { function: STREAM_FUNCTION, targetAboveLoadBytes: STREAM_PEAK_TARGET_BYTES, rows };
  } finally {
    for (const child of children) child.kill('SIGKILL');
    await Promise.all(ids.map((id) => entries.remove(id).catch(() => undefined)));
    await s3.close();
    await proxy.close();
    await redis.stop();
  }
}
