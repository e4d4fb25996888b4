import { randomBytes, randomUUID } from 'node:crypto';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { HttpEvent } from '../../lib/platform/http';
import { PassThrough } from 'node:stream';
import { ConfigError, INFOBIP_MEDIA_LIMITS, readObjectStorageConfig, readStreamingRuntime } from '../../lib/platform/config';
import { createLogger } from '../../lib/platform/log';
import { decodeEntry } from '../../lib/media/format';
import { decodeObjectEntry, encodeObjectEntry, objectFileHeaders, type ObjectEntry } from '../../lib/media/objectEntry';
import { makeCreateMediaUploadHandler } from '../../lib/media/upload';
import { lambdaStreaming, makeFetchMediaHandler, makeStreamingFetch, startMediaFetch } from '../../lib/media/fetch';
import { MEDIA_KINDS } from '../../lib/media/kinds';
import type { ObjectStorage } from '../../lib/media/objects';
import type { ObjectEntryStore } from '../../lib/media/objectStore';
import type { MediaStore } from '../../lib/media/store';
import type { ObjectStorageConfig } from '../../lib/platform/config';
import { apiEvent, captureLines, lambdaContext } from '../support/lambda';

/** Large files, without network: configuration, the Redis entry, the upload route, the fetches. */

const ENV = {
  MEDIA_BUCKET: 'imchannel-media',
  AWS_REGION: 'eu-west-1',
  AWS_ACCESS_KEY_ID: 'AKIDEXAMPLE',
  AWS_SECRET_ACCESS_KEY: 'secret',
};
const MB = 1024 * 1024;

describe('readObjectStorageConfig', () => {
  it('is off (undefined) without MEDIA_BUCKET, so a deployment without a bucket works as before', () => {
    expect(readObjectStorageConfig({})).toBeUndefined();
  });

  it("defaults: stream mode, 5-minute uploads, and each kind's limit as Infobip documents it", () => {
    const config = readObjectStorageConfig(ENV);
    expect(config).toMatchObject({
      bucket: 'imchannel-media',
      region: 'eu-west-1',
      fetchMode: 'stream',
      uploadTtlSeconds: 300,
      credentials: { accessKeyId: 'AKIDEXAMPLE', secretAccessKey: 'secret' },
      limits: { image: 5 * MB, audio: 16 * MB, video: 16 * MB, document: 100 * MB },
    });
    expect(config?.endpoint).toBeUndefined();
  });

  it("refuses a limit above Infobip's, a mode it does not know and a bucket name S3 would refuse, naming each variable", () => {
    const read = () => readObjectStorageConfig({ ...ENV, MEDIA_MAX_BYTES_IMAGE: String(INFOBIP_MEDIA_LIMITS.image + 1) });
    expect(read).toThrow(ConfigError);
    expect(read).toThrow('MEDIA_MAX_BYTES_IMAGE must be at most 5242880');
    expect(() => readObjectStorageConfig({ ...ENV, MEDIA_FETCH_MODE: 'proxy' })).toThrow(
      'MEDIA_FETCH_MODE must be "stream" or "redirect"',
    );
    expect(() => readObjectStorageConfig({ ...ENV, MEDIA_BUCKET: 'Bad_Bucket' })).toThrow(
      'MEDIA_BUCKET must be an S3 bucket name',
    );
  });

  it('takes a lower limit, and a local key pair only with a local endpoint', () => {
    const local = readObjectStorageConfig({
      MEDIA_BUCKET: 'b-local',
      MEDIA_BUCKET_REGION: 'us-east-1',
      MEDIA_S3_ENDPOINT: 'http://127.0.0.1:9000/',
      MEDIA_S3_ACCESS_KEY_ID: 'LOCAL',
      MEDIA_S3_SECRET_ACCESS_KEY: 'local-secret',
      MEDIA_MAX_BYTES_VIDEO: '1000',
    });
    expect(local).toMatchObject({
      endpoint: 'http://127.0.0.1:9000',
      credentials: { accessKeyId: 'LOCAL', secretAccessKey: 'local-secret' },
      limits: { video: 1000 },
    });
    // Without the endpoint the role's credentials sign, whatever else is set.
    const aws = readObjectStorageConfig({ ...ENV, MEDIA_S3_ACCESS_KEY_ID: 'LOCAL', MEDIA_S3_SECRET_ACCESS_KEY: 'x' });
    expect(aws?.credentials.accessKeyId).toBe('AKIDEXAMPLE');
  });

  it('streams on Lambda in stream mode only: not under serverless-offline, not in redirect mode, not without a bucket', () => {
    expect(readStreamingRuntime(ENV)).toBe(true);
    expect(readStreamingRuntime({ ...ENV, IS_OFFLINE: 'true' })).toBe(false);
    expect(readStreamingRuntime({ ...ENV, MEDIA_FETCH_MODE: 'redirect' })).toBe(false);
    expect(readStreamingRuntime({ AWS_REGION: 'eu-west-1' })).toBe(false);
  });
});

const ENTRY: ObjectEntry = {
  kind: 'document',
  contentType: 'application/pdf',
  fileName: 'Offerta "2025".pdf',
  size: 100 * MB,
  objectKey: 'media/x',
  sha256: 'a'.repeat(64),
};

describe('lambdaStreaming', () => {
  it("is Lambda's response streaming only where the runtime provides it, not the `{}` other libraries leave in awslambda", () => {
    const runtime = { streamifyResponse: () => undefined, HttpResponseStream: { from: () => undefined } };
    expect(lambdaStreaming({})).toBeUndefined();
    expect(lambdaStreaming({ awslambda: {} })).toBeUndefined();
    expect(lambdaStreaming({ awslambda: { InvokeStore: undefined } })).toBeUndefined();
    expect(lambdaStreaming({ awslambda: { streamifyResponse: () => undefined } })).toBeUndefined();
    expect(lambdaStreaming({ awslambda: runtime })).toBe(runtime);
  });
});

describe('startMediaFetch on the Lambda runtime, stream mode', () => {
  const saved = { env: process.env, awslambda: (globalThis as { awslambda?: unknown }).awslambda };
  afterEach(() => {
    process.env = saved.env;
    (globalThis as { awslambda?: unknown }).awslambda = saved.awslambda;
  });

  /** A stand-in of the runtime: records the metadata given to HttpResponseStream.from and every byte written. */
  function fakeRuntime() {
    const metadata: { statusCode: number; headers: Record<string, string> }[] = [];
    const streamed: Buffer[] = [];
    const runtime = {
      streamifyResponse: (handler: (event: unknown, stream: PassThrough, context: unknown) => Promise<void>) =>
        Object.assign(handler, { streaming: true }),
      HttpResponseStream: {
        from: (stream: PassThrough, meta: { statusCode: number; headers: Record<string, string> }) => {
          metadata.push(meta);
          return stream;
        },
      },
    };
    const responseStream = () => {
      const out = new PassThrough();
      out.on('data', (chunk: Buffer) => streamed.push(chunk));
      return out;
    };
    return { runtime, metadata, body: () => Buffer.concat(streamed).toString('utf8'), responseStream };
  }

  it('streams a Function URL event, and writes an API Gateway event the whole JSON answer Lambda buffers', async () => {
    const fake = fakeRuntime();
    (globalThis as { awslambda?: unknown }).awslambda = fake.runtime;
    process.env = {
      ...ENV,
      UPSTASH_REDIS_REST_URL: 'http://127.0.0.1:9',
      UPSTASH_REDIS_REST_TOKEN: 'token',
      LOG_LEVEL: 'ERROR',
      POWERTOOLS_METRICS_DISABLED: 'true',
    };
    const handler = startMediaFetch('video') as unknown as ((e: unknown, s: PassThrough, c: unknown) => Promise<void>) & {
      streaming?: boolean;
    };
    expect(handler.streaming).toBe(true);
    // A bad id is answered without Redis: the dispatch is what is under test.
    const viaUrl = apiEvent({ method: 'GET', path: '/getVideoMessage/not-a-uuid' });
    viaUrl.requestContext.domainName = 'abc123.lambda-url.eu-west-1.on.aws';
    viaUrl.pathParameters = undefined;
    const viaApi = apiEvent({
      method: 'GET',
      path: '/imchannel/getVideoMessage/not-a-uuid',
      pathParameters: { id: 'not-a-uuid' },
    });

    const urlStream = fake.responseStream();
    await handler(viaUrl, urlStream, lambdaContext('onGetVideoMessage'));
    const urlBody = fake.body();
    const apiStream = fake.responseStream();
    await handler(viaApi, apiStream, lambdaContext('onGetVideoMessage'));
    const apiBody = fake.body().slice(urlBody.length);

    expect(fake.metadata).toEqual([
      { statusCode: 404, headers: expect.objectContaining({ 'content-type': 'application/json' }) },
    ]);
    expect(JSON.parse(urlBody)).toMatchObject({ error: { code: 'NOT_FOUND' } });
    expect(JSON.parse(apiBody)).toMatchObject({ statusCode: 404, body: expect.stringContaining('NOT_FOUND') });
  });

  it('is the plain buffered handler under serverless-offline, even with a runtime-like awslambda', () => {
    (globalThis as { awslambda?: unknown }).awslambda = fakeRuntime().runtime;
    process.env = { ...ENV, IS_OFFLINE: 'true', UPSTASH_REDIS_REST_URL: 'http://127.0.0.1:9', UPSTASH_REDIS_REST_TOKEN: 't' };
    const handler = startMediaFetch('video') as unknown as { streaming?: boolean };
    expect(handler.streaming).toBeUndefined();
  });
});

describe('the S3-backed entry (v 2)', () => {
  it('round-trips, and the inline reader does not mistake it for an inline file (nor the other way round)', () => {
    const value = encodeObjectEntry(ENTRY);
    expect(decodeObjectEntry(value)).toEqual(ENTRY);
    expect(decodeEntry(value)).toBeUndefined();
    const inline = JSON.stringify({ v: 1, kind: 'image', contentType: 'image/png', fileName: 'a.png', content: 'AAAA' });
    expect(decodeEntry(inline)).toBeDefined();
    expect(decodeObjectEntry(inline)).toBeUndefined();
  });

  it.each([
    ['a size that is not a positive integer', { size: 0 }],
    ['a fractional size', { size: 1.5 }],
    ['a digest that is not 64 hex digits', { sha256: 'xyz' }],
    ['an unknown kind', { kind: 'gif' }],
    ['no object key', { objectKey: '' }],
  ])('is not a file with %s', (_label, change) => {
    expect(decodeObjectEntry(JSON.stringify({ v: 2, ...ENTRY, ...change }))).toBeUndefined();
  });

  it('is served with the headers of an inline file, from the metadata', () => {
    expect(objectFileHeaders(ENTRY)).toEqual({
      'content-type': 'application/pdf',
      'content-length': String(100 * MB),
      'content-disposition': 'inline; filename="Offerta _2025_.pdf"; filename*=UTF-8\'\'Offerta%20%222025%22.pdf',
      'cache-control': 'no-store',
      'x-content-type-options': 'nosniff',
    });
  });
});

const CONFIG: ObjectStorageConfig = {
  bucket: 'b',
  region: 'eu-west-1',
  credentials: { accessKeyId: 'k', secretAccessKey: 's' },
  uploadTtlSeconds: 300,
  fetchMode: 'stream',
  limits: { ...INFOBIP_MEDIA_LIMITS },
};

function fakeStorage(objects = new Map<string, Buffer>()) {
  const calls: string[] = [];
  const storage: ObjectStorage = {
    async presignPut(key, object) {
      calls.push(`presignPut ${key} ${object.size} ${object.contentType} ${object.sha256 ?? '-'}`);
      return {
        url: `https://s3.example/${key}?signed`,
        headers: { 'content-length': String(object.size), 'content-type': object.contentType },
        expiresAt: '2030-01-01T00:00:00.000Z',
      };
    },
    async head(key) {
      calls.push(`head ${key}`);
      const bytes = objects.get(key);
      return bytes === undefined ? undefined : { size: bytes.length, contentType: 'application/pdf', metadata: {} };
    },
    async presignGet(key, ttl, response) {
      calls.push(`presignGet ${key} ${ttl} ${response.contentType}`);
      return `https://s3.example/${key}?get`;
    },
    async get(key) {
      calls.push(`get ${key}`);
      const bytes = objects.get(key);
      return bytes === undefined ? undefined : new Response(bytes);
    },
    async readStart(key, count) {
      calls.push(`readStart ${key} ${count}`);
      return objects.get(key)?.subarray(0, count);
    },
    async remove(key) {
      calls.push(`remove ${key}`);
      objects.delete(key);
    },
    async putStream(key) {
      throw new Error(`no streamed PUT expected here (${key})`);
    },
    async copy(from) {
      throw new Error(`no copy expected here (${from})`);
    },
  };
  return { storage, calls, objects };
}

describe('POST /imchannel/media', () => {
  const TOKEN = 'ctlive-token';
  function setup() {
    const { lines, sink } = captureLines();
    const log = createLogger('createMediaUpload', {
      format: 'text',
      level: 'INFO',
      sink,
      metrics: { namespace: 'T', service: 's', stage: 't', disabled: true },
    });
    const fake = fakeStorage();
    const puts: string[] = [];
    const entries: ObjectEntryStore = {
      async put(id, entry, ttl) {
        puts.push(`${id} ${ttl} ${encodeObjectEntry(entry)}`);
      },
      async markSent() {
        return undefined;
      },
      async read() {
        return { entry: null };
      },
      async remove() {},
    };
    const handler = makeCreateMediaUploadHandler({
      log,
      ctliveApiToken: TOKEN,
      storage: fake.storage,
      entries,
      objects: CONFIG,
      media: { ttlSeconds: 86_400, fetchTtlSeconds: 60, maxBytes: 4 * MB },
    });
    const call = async (body: unknown, token = TOKEN) => {
      const res = await handler(
        apiEvent({ path: '/imchannel/media', body, headers: { authorization: `Bearer ${token}` } }),
        lambdaContext('createMediaUpload'),
      );
      const answer = JSON.parse(String(res.body)) as {
        mediaId: string;
        upload: unknown;
        error: { code: string; retryable: boolean };
      };
      return { status: res.statusCode, body: answer };
    };
    return { call, puts, lines, calls: fake.calls };
  }
  const SHA256 = 'ab'.repeat(32);
  const PDF = { kind: 'document', fileName: 'contract.pdf', contentType: 'application/pdf', size: 50 * MB, sha256: SHA256 };

  it('answers a presigned PUT bound to the declared size and type, and keeps the entry for MEDIA_TTL_SECONDS', async () => {
    const { call, puts, calls, lines } = setup();
    const digest = randomBytes(32).toString('hex').toUpperCase();

    const res = await call({ ...PDF, sha256: digest });

    expect(res.status).toBe(200);
    expect(res.body.mediaId).toMatch(/^[0-9a-f-]{36}$/);
    expect(res.body.upload).toEqual({
      method: 'PUT',
      url: `https://s3.example/media/${res.body.mediaId}?signed`,
      headers: { 'content-length': String(50 * MB), 'content-type': 'application/pdf' },
    });
    expect(calls).toEqual([`presignPut media/${res.body.mediaId} ${50 * MB} application/pdf ${digest.toLowerCase()}`]);
    expect(puts).toHaveLength(1);
    expect(puts[0]).toContain(`${res.body.mediaId} 86400 {"v":2,"kind":"document"`);
    expect(lines).toEqual([
      expect.stringContaining(`[createMediaUpload] Upload requested for ID [${res.body.mediaId}]`),
      expect.stringContaining(
        `[createMediaUpload] Upload URL issued for key [IMChannel:MultimediaMessage:${res.body.mediaId}] valid 300 s`,
      ),
    ]);
  });

  it.each([
    ['no bearer token', PDF, 'wrong', 401, 'UNAUTHORIZED'],
    ['a size of 0', { ...PDF, size: 0 }, TOKEN, 400, 'VALIDATION_FAILED'],
    ['a size that is not a whole number', { ...PDF, size: 1.5 }, TOKEN, 400, 'VALIDATION_FAILED'],
    ['an unknown kind', { ...PDF, kind: 'gif' }, TOKEN, 400, 'VALIDATION_FAILED'],
    ['a sha256 that is not 64 hex digits', { ...PDF, sha256: 'abc' }, TOKEN, 400, 'VALIDATION_FAILED'],
    [
      'no sha256 (the presigned PUT could replace the file after the send checked it)',
      { ...PDF, sha256: undefined },
      TOKEN,
      400,
      'VALIDATION_FAILED',
    ],
    ['a document over 100 MB', { ...PDF, size: 100 * MB + 1 }, TOKEN, 413, 'PAYLOAD_TOO_LARGE'],
    [
      'a video over 16 MB',
      { ...PDF, kind: 'video', contentType: 'video/mp4', size: 16 * MB + 1 },
      TOKEN,
      413,
      'PAYLOAD_TOO_LARGE',
    ],
    ['a type the kind does not take', { ...PDF, contentType: 'image/png' }, TOKEN, 415, 'UNSUPPORTED_MEDIA_TYPE'],
  ])('refuses %s, storing and signing nothing', async (_label, body, token, status, code) => {
    const { call, puts, calls } = setup();
    const res = await call(body, token);
    expect({ status: res.status, code: res.body.error.code, retryable: res.body.error.retryable }).toEqual({
      status,
      code,
      retryable: false,
    });
    expect(puts).toEqual([]);
    expect(calls).toEqual([]);
  });
});

/** The events/ files of the upload route (`serverless invoke local -f createMediaUpload -p …`): each answers the status in its name. */
describe('events/createMediaUpload-*.json', () => {
  const EVENTS = join(__dirname, '..', '..', 'events');
  const files = readdirSync(EVENTS).filter((file) => file.startsWith('createMediaUpload-'));

  it('cover success and each kind of refusal', () => {
    for (const status of ['200', '400', '401', '413', '415']) {
      expect(files.some((file) => file.startsWith(`createMediaUpload-${status}-`))).toBe(true);
    }
  });

  it.each(files)('%s', async (file) => {
    const status = Number(/^createMediaUpload-(\d{3})-/.exec(file)?.[1]);
    const event = JSON.parse(readFileSync(join(EVENTS, file), 'utf8')) as HttpEvent;
    const handler = makeCreateMediaUploadHandler({
      log: createLogger('createMediaUpload', { format: 'text', level: 'ERROR', sink: () => undefined }),
      ctliveApiToken: 'imchannel-local-token',
      storage: fakeStorage().storage,
      entries: {
        put: async () => undefined,
        read: async () => ({ entry: null }),
        markSent: async () => undefined,
        remove: async () => undefined,
      },
      objects: CONFIG,
      media: { ttlSeconds: 86_400, fetchTtlSeconds: 60, maxBytes: 4 * MB },
    });
    const res = await handler(event, lambdaContext('createMediaUpload'));
    expect(res.statusCode).toBe(status);
  });
});

describe('fetching an S3-backed file', () => {
  const spec = MEDIA_KINDS.document;
  function setup(bytes = randomBytes(3000)) {
    const id = randomUUID();
    const entry: ObjectEntry = {
      kind: 'document',
      contentType: 'application/pdf',
      fileName: 'a.pdf',
      size: bytes.length,
      objectKey: `media/${id}`,
    };
    const takes: string[] = [];
    const store: MediaStore = {
      async put() {},
      async take(takenId, _kind, ttl) {
        takes.push(`${takenId} ${ttl}`);
        return takenId === id ? { found: true, object: entry } : { found: false };
      },
      async remove() {},
    };
    const fake = fakeStorage(new Map([[entry.objectKey, bytes]]));
    const { lines, sink } = captureLines();
    const log = createLogger(spec.fetchTag, {
      format: 'text',
      level: 'INFO',
      sink,
      metrics: { namespace: 'T', service: 's', stage: 't', disabled: true },
    });
    const deps = { log, store, media: { ttlSeconds: 86_400, fetchTtlSeconds: 60, maxBytes: 4 * MB }, objects: fake.storage };
    return {
      id,
      bytes,
      takes,
      calls: fake.calls,
      objects: fake.objects,
      lines,
      buffered: makeFetchMediaHandler(spec, deps),
      streaming: makeStreamingFetch(spec, deps),
    };
  }
  const event = (id: string, method: string) =>
    apiEvent({ method, path: `/imchannel/getDocumentMessage/${id}`, pathParameters: { id } });
  /** A stand-in for Lambda's HttpResponseStream: what was opened and every byte written. */
  function recorder() {
    const opened: { status: number; headers: Record<string, string> }[] = [];
    const chunks: Buffer[] = [];
    const open = (status: number, headers: Record<string, string>) => {
      opened.push({ status, headers });
      const out = new PassThrough();
      out.on('data', (chunk: Buffer) => chunks.push(chunk));
      return out;
    };
    return { opened, open, body: () => Buffer.concat(chunks) };
  }

  it('HEAD answers from the metadata: no S3 call, the one Redis call, the three runbook lines', async () => {
    const { id, buffered, calls, takes, lines } = setup();
    const res = await buffered(event(id, 'HEAD'), lambdaContext(spec.fetchTag));
    expect(res.statusCode).toBe(200);
    expect(res.headers).toMatchObject({ 'content-length': '3000', 'content-type': 'application/pdf' });
    expect(calls).toEqual([]);
    expect(takes).toEqual([`${id} 60`]);
    expect(lines.map((line) => line.replace(/^.*\[onGetDocumentMessage\] /, ''))).toEqual([
      `Request received for ID [${id}] (HEAD)`,
      `[REDIS] Get message with key [IMChannel:MultimediaMessage:${id}]`,
      `Set expire for key [IMChannel:MultimediaMessage:${id}] 60`,
    ]);
  });

  it('GET through API Gateway is a 302 to a presigned GET valid MEDIA_FETCH_TTL_SECONDS', async () => {
    const { id, buffered, calls } = setup();
    const res = await buffered(event(id, 'GET'), lambdaContext(spec.fetchTag));
    expect(res).toMatchObject({
      statusCode: 302,
      headers: { location: `https://s3.example/media/${id}?get`, 'cache-control': 'no-store' },
    });
    expect(calls).toEqual([`presignGet media/${id} 60 application/pdf`]);
  });

  it('GET on the streaming URL writes the headers, then exactly the bytes S3 streams', async () => {
    const { id, bytes, streaming } = setup(randomBytes(200_000));
    const out = recorder();
    await streaming({ ...event(id, 'GET'), pathParameters: undefined, rawPath: `/getDocumentMessage/${id}` }, out.open);
    expect(out.opened).toEqual([{ status: 200, headers: expect.objectContaining({ 'content-length': '200000' }) }]);
    expect(out.body().equals(bytes)).toBe(true);
  });

  it('the streaming URL answers an unknown id, a bad id and a POST as the API does: 404, 404, 405', async () => {
    const { streaming } = setup();
    const statuses: number[] = [];
    for (const [id, method] of [
      [randomUUID(), 'GET'],
      ['../etc', 'GET'],
      [randomUUID(), 'POST'],
    ] as const) {
      const out = recorder();
      await streaming(event(id, method), out.open);
      statuses.push(out.opened[0]?.status ?? 0);
    }
    expect(statuses).toEqual([404, 404, 405]);
  });

  it('an object missing from the bucket while its key lives is a 404, and a line says so', async () => {
    const { id, streaming, lines, objects } = setup();
    objects.clear(); // the lifecycle rule removed it early, or someone deleted it by hand
    const out = recorder();

    await streaming(event(id, 'GET'), out.open);

    expect(out.opened[0]?.status).toBe(404);
    expect(lines.filter((line) => line.includes('not in the bucket'))).toEqual([
      expect.stringContaining(`The file of ID [${id}] is not in the bucket although its key lives`),
    ]);
  });
});
