/**
 * One memory measurement, in a fresh process (started by bench/memory.ts with --expose-gc)
 * so that the kernel's peak-RSS mark belongs to this measurement alone. It runs the real
 * handler factories of lib/ with the real Upstash client against the local stack's proxy
 * and Redis, and the real Infobip client against its sandbox.
 */
import { createHash, randomBytes, randomUUID } from 'node:crypto';
import { readConfiguredSecrets, readInfobipConfig, readMediaConfig, readRedisConfig } from '../lib/config';
import { createInfobipClient } from '../lib/infobip';
import { createLogger } from '../lib/log';
import { MEDIA_KINDS } from '../lib/media';
import { makeFetchMediaHandler } from '../lib/mediaFetch';
import { makeSendMediaHandler } from '../lib/mediaSend';
import { createMediaStore } from '../lib/mediaStore';
import { createRedis } from '../lib/redis';
import { apiEvent, lambdaContext } from '../test/support/lambda';
import type { MemoryInput, MemoryMeasurement, MemoryScenario } from './memory';

const sha256 = (bytes: Buffer) => createHash('sha256').update(bytes).digest('hex');


/**
 * Full GCs, with pauses: V8 frees ArrayBuffer memory (Buffers) on a background thread, so
 * `external` reads right after gc() can still count buffers that are already garbage.
 */
async function collectGarbage(): Promise<NodeJS.MemoryUsage> {
  const gc = globalThis.gc;
  if (!gc) throw new Error('run with --expose-gc');
  for (let i = 0; i < 3; i += 1) {
    gc();
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  return process.memoryUsage();
}

/** The operation and its check; returning drops every reference to what the call produced. */
async function timed(operation: () => Promise<() => string>) {
  const started = performance.now();
  const verify = await operation();
  const durationMs = performance.now() - started;
  const highWaterAfter = process.resourceUsage().maxRSS * 1024;
  // The check runs after the peak reading, so its own allocations do not count.
  return { durationMs, highWaterAfter, check: verify() };
}

async function measure(
  scenario: MemoryScenario,
  fileBytes: number,
  operation: () => Promise<() => string>,
): Promise<MemoryMeasurement> {
  const before = await collectGarbage();
  const highWaterBefore = process.resourceUsage().maxRSS * 1024;
  const { durationMs, highWaterAfter, check } = await timed(operation);
  const after = await collectGarbage();
  return {
    scenario,
    fileBytes,
    baselineRssBytes: before.rss,
    peakRssBytes: Math.max(highWaterAfter, before.rss),
    // The kernel keeps one high-water mark per process: if the operation did not raise it,
    // its own peak is somewhere at or below the mark, and the delta is an upper bound.
    peakIsExact: highWaterAfter > highWaterBefore,
    retainedBytes: after.heapUsed + after.external - (before.heapUsed + before.external),
    durationMs,
    check,
  };
}

const sendBody = (content: string) => JSON.stringify({ to: '39123456789', fileName: 'big.png', contentType: 'image/png', content });

function discardingLogger(tag: string, env: Record<string, string>) {
  return createLogger(tag, { format: 'json', level: 'INFO', secrets: readConfiguredSecrets(env), sink: () => undefined });
}

/** The shared JSON/base64 path alone, without a handler around it. */
async function decodePath(fileBytes: number): Promise<MemoryMeasurement> {
  const file = randomBytes(fileBytes);
  const expected = sha256(file);
  const request = sendBody(file.toString('base64'));
  return measure('json-base64-sha256', fileBytes, async () => {
    const parsed: unknown = JSON.parse(request);
    const digest = sha256(Buffer.from((parsed as { content: string }).content, 'base64'));
    return () => (digest === expected ? 'sha256 matches' : 'SHA256 MISMATCH');
  });
}

async function sendHandler(input: MemoryInput, fileBytes: number): Promise<MemoryMeasurement> {
  const { env } = input;
  const spec = MEDIA_KINDS.image;
  const log = discardingLogger(spec.sendTag, env);
  const store = createMediaStore(createRedis(readRedisConfig(env)), log);
  const infobipConfig = readInfobipConfig(env);
  const handler = makeSendMediaHandler(spec, {
    log,
    publicUrl: input.apiUrl,
    ctliveApiToken: input.token,
    media: readMediaConfig(env),
    infobipConfig,
    infobip: createInfobipClient({ timeoutMs: infobipConfig.timeoutMs }),
    store,
  });
  const headers = { authorization: `Bearer ${input.token}` };
  const send = (body: string) => handler(apiEvent({ path: `/imchannel/${spec.sendTag}`, body, rawBody: true, headers }), lambdaContext(spec.sendTag));
  const mediaIdOf = (body: string | undefined) => (JSON.parse(body ?? '{}') as { mediaId?: string }).mediaId;

  // Warm: the first call pays for lazy initialisation, which is not per-file memory.
  const warmId = mediaIdOf((await send(sendBody(randomBytes(1024).toString('base64')))).body);
  if (warmId) await store.remove(warmId);
  // The body as API Gateway hands it over exists before the call; the event around it is built in it.
  const body = sendBody(randomBytes(fileBytes).toString('base64'));
  let mediaId: string | undefined;
  const result = await measure('send-handler', fileBytes, async () => {
    const response = await send(body);
    return () => {
      mediaId = mediaIdOf(response.body);
      return response.statusCode === 200 && mediaId ? 'answered 200 with a mediaId' : `ANSWERED ${response.statusCode} ${response.body ?? ''}`;
    };
  });
  if (mediaId) await store.remove(mediaId);
  return result;
}

async function fetchHandler(input: MemoryInput): Promise<MemoryMeasurement> {
  const { env, stored } = input;
  if (!stored) throw new Error('fetch-handler needs a stored file');
  const spec = MEDIA_KINDS.image;
  const log = discardingLogger(spec.fetchTag, env);
  const store = createMediaStore(createRedis(readRedisConfig(env)), log);
  const handler = makeFetchMediaHandler(spec, { log, store, media: readMediaConfig(env) });
  const get = (id: string) => handler(apiEvent({ method: 'GET', path: `/imchannel/${spec.route}/${id}`, pathParameters: { id } }), lambdaContext(spec.fetchTag));

  const warmId = randomUUID();
  await store.put(warmId, { kind: 'image', contentType: 'image/png', fileName: 'warm.png', content: randomBytes(1024).toString('base64') }, 60);
  await get(warmId);
  await store.remove(warmId);
  return measure('fetch-handler', stored.bytes, async () => {
    const response = await get(stored.id);
    return () => {
      const served = response.statusCode === 200 ? sha256(Buffer.from(response.body ?? '', 'base64')) : undefined;
      return served === stored.sha256 ? 'served the exact bytes' : `ANSWERED ${response.statusCode}, bytes differ`;
    };
  });
}

function run(input: MemoryInput): Promise<MemoryMeasurement> {
  const fileBytes = readMediaConfig(input.env).maxBytes;
  if (input.scenario === 'json-base64-sha256') return decodePath(fileBytes);
  if (input.scenario === 'send-handler') return sendHandler(input, fileBytes);
  return fetchHandler(input);
}

const raw = process.env.BENCH_MEMORY_INPUT;
if (!raw || !process.send) throw new Error('bench/memoryChild.ts is started by bench/memory.ts');
run(JSON.parse(raw) as MemoryInput).then(
  (measurement) => process.send?.({ measurement }, () => process.exit(0)),
  (error: unknown) => process.send?.({ error: error instanceof Error ? (error.stack ?? error.message) : String(error) }, () => process.exit(1)),
);
