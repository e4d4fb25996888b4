/**
 * `npm run bench:stream`: peak RSS of the streaming fetch (issue 17) while it serves a 1 MB
 * and a 100 MB document from S3, on the local stack's pieces (a real Redis through the
 * Upstash proxy, s3rver), the fetch running in a process of its own (bench/streamChild.ts)
 * as a Lambda would. Streaming holds a few chunks at a time, so the peak above the
 * process's baseline stays a small constant whatever the file's size; a buffered answer
 * would need the whole file (and its base64) in memory.
 *
 * Writes bench/latest/streamMemory.json (git-ignored) and prints the table that
 * docs/performance.md ("Streaming a 100 MB fetch") quotes.
 */
import { spawn } from 'node:child_process';
import { randomBytes, randomUUID } from 'node:crypto';
import { mkdir, writeFile } from 'node:fs/promises';
import { resolve } from 'node:path';
import { createObjectEntryStore } from '../lib/media/objectStore';
import { createObjectStorage, objectKeyOf } from '../lib/media/objects';
import { INFOBIP_MEDIA_LIMITS } from '../lib/platform/config';
import { createLogger } from '../lib/platform/log';
import { createRedis } from '../lib/platform/redis';
import { startLocalS3 } from '../tools/localS3';
import { findRedis } from '../tools/localRedis';
import { freePort } from '../tools/ports';
import { startUpstashProxy } from '../tools/upstashProxy';
import { ROOT } from './paths';

const MB = 1024 * 1024;
const SIZES = [1 * MB, 25 * MB, 100 * MB];
const OUT = resolve(ROOT, 'bench/latest/streamMemory.json');

async function main() {
  const redis = await findRedis();
  const proxy = await startUpstashProxy({ redisUrl: redis.url, token: randomUUID(), port: 0 });
  const s3 = await startLocalS3();
  const log = createLogger('bench', { format: 'text', level: 'ERROR', sink: () => undefined });
  const config = {
    bucket: s3.bucket,
    region: s3.region,
    endpoint: s3.url,
    credentials: { accessKeyId: s3.accessKeyId, secretAccessKey: s3.secretAccessKey },
    uploadTtlSeconds: 300,
    fetchMode: 'stream' as const,
    limits: { ...INFOBIP_MEDIA_LIMITS },
  };
  const storage = createObjectStorage(config, log);
  const entries = createObjectEntryStore(createRedis(proxy), log);
  const port = await freePort();
  const child = spawn(process.execPath, ['--import', 'tsx', resolve(ROOT, 'bench/streamChild.ts'), String(port)], {
    cwd: ROOT,
    env: {
      ...process.env,
      UPSTASH_REDIS_REST_URL: proxy.url,
      UPSTASH_REDIS_REST_TOKEN: proxy.token,
      MEDIA_BUCKET: s3.bucket,
      MEDIA_BUCKET_REGION: s3.region,
      MEDIA_S3_ENDPOINT: s3.url,
      MEDIA_S3_ACCESS_KEY_ID: s3.accessKeyId,
      MEDIA_S3_SECRET_ACCESS_KEY: s3.secretAccessKey,
      SECRETS_SSM_PATH: '',
      LOG_LEVEL: 'ERROR',
      LOG_FORMAT: 'text',
      POWERTOOLS_METRICS_DISABLED: 'true',
    },
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  await new Promise<void>((ready) => child.stdout.once('data', () => ready()));
  const base = `http://127.0.0.1:${port}`;
  const rows: { sizeBytes: number; seconds: number; baselineBytes: number; peakBytes: number; peakAboveBaselineBytes: number }[] =
    [];
  try {
    for (const size of SIZES) {
      const id = randomUUID();
      const bytes = randomBytes(size);
      const upload = await storage.presignPut(objectKeyOf(id), { size, contentType: 'application/pdf' });
      await fetch(upload.url, { method: 'PUT', headers: upload.headers, body: bytes });
      await entries.put(
        id,
        { kind: 'document', contentType: 'application/pdf', fileName: 'f.pdf', size, objectKey: objectKeyOf(id) },
        600,
      );
      await fetch(`${base}/__rss`); // a fresh peak
      const started = performance.now();
      const res = await fetch(`${base}/getDocumentMessage/${id}`);
      let received = 0;
      for await (const chunk of res.body ?? []) received += chunk.length;
      const seconds = (performance.now() - started) / 1000;
      if (received !== size) throw new Error(`received ${received} bytes of ${size}`);
      const rss = (await (await fetch(`${base}/__rss`)).json()) as { baselineBytes: number; peakBytes: number };
      rows.push({ sizeBytes: size, seconds, ...rss, peakAboveBaselineBytes: rss.peakBytes - rss.baselineBytes });
    }
  } finally {
    child.kill('SIGTERM');
    await s3.close();
    await proxy.close();
    await redis.stop();
  }
  const report = { date: new Date().toISOString(), node: process.version, rows };
  await mkdir(resolve(ROOT, 'bench/latest'), { recursive: true });
  await writeFile(OUT, `${JSON.stringify(report, null, 2)}\n`);
  const mb = (n: number) => `${(n / MB).toFixed(1)} MB`;
  process.stdout.write(
    '| file | time | fetch process RSS at start | peak RSS | peak above start |\n|---:|---:|---:|---:|---:|\n',
  );
  for (const row of rows) {
    process.stdout.write(
      `| ${mb(row.sizeBytes)} | ${row.seconds.toFixed(2)} s | ${mb(row.baselineBytes)} | ${mb(row.peakBytes)} | ${mb(row.peakAboveBaselineBytes)} |\n`,
    );
  }
}

void main().catch((error: unknown) => {
  process.stderr.write(`${String(error)}\n`);
  process.exit(1);
});
