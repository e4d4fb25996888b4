import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { AwsV4Signer } from 'aws4fetch';
import type { ObjectStorageConfig } from '../platform/config';
import { deadline } from '../platform/deadline';
import { UnavailableError } from '../platform/errors';
import type { TaggedLogger } from '../platform/log';

/**
 * The S3 bucket behind large files, over plain fetch signed by `aws4fetch`
 * (chosen by measurement over @aws-sdk/client-s3 with its presigner: docs/performance.md,
 * "S3 client"). Only the upload route, the media sends and the fetch functions import this
 * file, so no other bundle carries it (test/unit/objectStorageBundles.test.ts).
 */

/** What S3 says of an object: enough to check an upload against what was declared. */
export interface ObjectHead {
  size: number;
  contentType: string;
  /** The object's `x-amz-meta-*` headers, without the prefix. */
  metadata: Record<string, string>;
}

export interface PresignedPut {
  url: string;
  /** Every header the PUT must carry, exactly: they are signed, so S3 refuses any other value. */
  headers: Record<string, string>;
  expiresAt: string;
}

export interface ObjectStorage {
  presignPut(key: string, object: { size: number; contentType: string; sha256?: string }): Promise<PresignedPut>;
  /** undefined: no such object (never uploaded, or deleted). */
  head(key: string): Promise<ObjectHead | undefined>;
  /** A GET URL valid `ttlSeconds`, with the answer's Content-Type and Content-Disposition fixed in it. */
  presignGet(key: string, ttlSeconds: number, response: { contentType: string; disposition: string }): Promise<string>;
  /** The object's bytes as S3 streams them; undefined when it is not there. */
  get(key: string): Promise<Response | undefined>;
  /** The object's first `bytes` bytes (fewer when it is shorter), one ranged GET; undefined when it is not there. */
  readStart(key: string, bytes: number): Promise<Buffer | undefined>;
  remove(key: string): Promise<void>;
  /**
   * Writes `size` bytes from `body` under `key` as they arrive, never holding them all; fails
   * (and S3 keeps nothing) when the body ends short, runs long or breaks off.
   */
  putStream(key: string, body: AsyncIterable<Buffer>, object: { size: number; contentType: string }): Promise<void>;
  /** Copies an object inside the bucket, S3-side, with a new Content-Type and metadata. */
  copy(from: string, to: string, object: { contentType: string; metadata: Record<string, string> }): Promise<void>;
}

export class ObjectStorageUnavailableError extends UnavailableError {
  constructor() {
    super('STORAGE_UNAVAILABLE', 'The file storage is unavailable, try again later');
  }
}

/** A HEAD, GET (to the first byte) or DELETE that takes longer is S3 being down: 503. */
const S3_TIMEOUT_MS = 5_000;

/** The object key of a media id: one prefix, so the bucket's lifecycle rule and IAM can name it. */
export const objectKeyOf = (mediaId: string) => `media/${mediaId}`;

export function createObjectStorage(config: ObjectStorageConfig, log: TaggedLogger): ObjectStorage {
  // Path-style on a local server (no wildcard DNS there); virtual-hosted on AWS, as S3 prefers.
  const base = config.endpoint
    ? `${config.endpoint}/${config.bucket}`
    : `https://${config.bucket}.s3.${config.region}.amazonaws.com`;
  const { accessKeyId, secretAccessKey, sessionToken } = config.credentials;
  const signer = (init: { method: string; url: URL; headers?: Record<string, string>; query?: boolean }) =>
    new AwsV4Signer({
      method: init.method,
      url: init.url.toString(),
      headers: init.headers,
      accessKeyId,
      secretAccessKey,
      sessionToken,
      service: 's3',
      region: config.region,
      signQuery: init.query,
      // Content-Type and Content-Length are signed too: that is what binds a PUT to them.
      allHeaders: init.query,
    }).sign();
  const urlOf = (key: string) => new URL(`${base}/${key}`);

  const call = async (method: 'HEAD' | 'GET' | 'DELETE', key: string, headers?: Record<string, string>): Promise<Response> => {
    const signed = await signer({ method, url: urlOf(key), headers });
    const timer = deadline(S3_TIMEOUT_MS);
    try {
      const response = await fetch(signed.url, { method, headers: signed.headers, signal: timer.signal });
      // Up to the headers only: a 100 MB body takes longer, and the function's timeout bounds it.
      timer.clear();
      if (response.status >= 500 || response.status === 403) {
        await response.body?.cancel();
        throw new Error(`S3 answered ${response.status}`);
      }
      return response;
    } catch (error: unknown) {
      timer.clear();
      const reason = error instanceof Error ? `${error.name}: ${error.message}` : String(error);
      log.error(`[S3] ${method} failed for object [${key}]`, { reason: reason.slice(0, 300) });
      throw new ObjectStorageUnavailableError();
    }
  };

  return {
    async presignPut(key, object) {
      const url = urlOf(key);
      url.searchParams.set('X-Amz-Expires', String(config.uploadTtlSeconds));
      const headers: Record<string, string> = {
        'content-length': String(object.size),
        'content-type': object.contentType,
      };
      // S3 computes the digest of what arrives and refuses the PUT when it differs.
      if (object.sha256 !== undefined) headers['x-amz-checksum-sha256'] = Buffer.from(object.sha256, 'hex').toString('base64');
      const signed = await signer({ method: 'PUT', url, headers, query: true });
      return {
        url: signed.url.toString(),
        headers,
        expiresAt: new Date(Date.now() + config.uploadTtlSeconds * 1000).toISOString(),
      };
    },
    async head(key) {
      const response = await call('HEAD', key);
      if (response.status === 404) return undefined;
      if (response.status !== 200) {
        log.error(`[S3] HEAD failed for object [${key}]`, { reason: `S3 answered ${response.status}` });
        throw new ObjectStorageUnavailableError();
      }
      const metadata: Record<string, string> = {};
      response.headers.forEach((value, name) => {
        if (name.startsWith('x-amz-meta-')) metadata[name.slice('x-amz-meta-'.length)] = value;
      });
      return {
        size: Number(response.headers.get('content-length') ?? NaN),
        contentType: response.headers.get('content-type') ?? '',
        metadata,
      };
    },
    async presignGet(key, ttlSeconds, response) {
      const url = urlOf(key);
      url.searchParams.set('X-Amz-Expires', String(ttlSeconds));
      url.searchParams.set('response-content-type', response.contentType);
      url.searchParams.set('response-content-disposition', response.disposition);
      url.searchParams.set('response-cache-control', 'no-store');
      return (await signer({ method: 'GET', url, query: true })).url.toString();
    },
    async get(key) {
      const response = await call('GET', key);
      if (response.status === 404) {
        await response.body?.cancel();
        return undefined;
      }
      return response;
    },
    async readStart(key, bytes) {
      const response = await call('GET', key, { range: `bytes=0-${bytes - 1}` });
      if (response.status === 404 || response.status === 416) {
        await response.body?.cancel();
        return undefined;
      }
      return Buffer.from(await response.arrayBuffer());
    },
    async remove(key) {
      const response = await call('DELETE', key);
      await response.body?.cancel();
    },
    async putStream(key, body, object) {
      const headers = { 'content-length': String(object.size), 'content-type': object.contentType };
      const signed = await signer({ method: 'PUT', url: urlOf(key), headers });
      try {
        await streamPut(signed.url, Object.fromEntries(signed.headers), body);
      } catch (error: unknown) {
        log.error(`[S3] PUT failed for object [${key}]`, { reason: reasonText(error) });
        throw new ObjectStorageUnavailableError();
      }
    },
    async copy(from, to, object) {
      const headers: Record<string, string> = {
        'content-type': object.contentType,
        'x-amz-copy-source': `/${config.bucket}/${from.split('/').map(encodeURIComponent).join('/')}`,
        'x-amz-metadata-directive': 'REPLACE',
      };
      for (const [name, value] of Object.entries(object.metadata)) headers[`x-amz-meta-${name}`] = value;
      const signed = await signer({ method: 'PUT', url: urlOf(to), headers });
      const timer = deadline(S3_TIMEOUT_MS * 6);
      try {
        const response = await fetch(signed.url, { method: 'PUT', headers: signed.headers, signal: timer.signal });
        const text = await response.text();
        // A copy can fail after S3 sent 200: the error is then in the body.
        if (response.status !== 200 || text.includes('<Error>')) throw new Error(`S3 answered ${response.status}`);
      } catch (error: unknown) {
        log.error(`[S3] copy failed from [${from}] to [${to}]`, { reason: reasonText(error) });
        throw new ObjectStorageUnavailableError();
      } finally {
        timer.clear();
      }
    },
  };
}

const reasonText = (error: unknown) => (error instanceof Error ? `${error.name}: ${error.message}` : String(error)).slice(0, 300);

/** How long a PUT may sit with no bytes moving before it is given up. */
const PUT_IDLE_MS = 30_000;

/**
 * A PUT whose body is streamed with its length declared up front, which S3 requires and
 * fetch cannot send for a stream; node's http client can. Only the copier streams a PUT:
 * node:http and node:https (with tls, some 5 ms of a cold start) are loaded on the first
 * one, not at the init of every function that holds this file.
 */
async function streamPut(url: URL, headers: Record<string, string>, body: AsyncIterable<Buffer>): Promise<void> {
  const { request: send } = url.protocol === 'https:' ? await import('node:https') : await import('node:http');
  return new Promise<void>((resolve, reject) => {
    const req = send(url, { method: 'PUT', headers, timeout: PUT_IDLE_MS }, (res) => {
      res.resume();
      res.on('end', () => (res.statusCode === 200 ? resolve() : reject(new Error(`S3 answered ${res.statusCode}`))));
      res.on('error', reject);
    });
    req.on('timeout', () => req.destroy(new Error(`no progress for ${PUT_IDLE_MS} ms`)));
    req.on('error', reject);
    pipeline(Readable.from(body), req).catch((error: unknown) => {
      req.destroy(error instanceof Error ? error : new Error(String(error)));
      reject(error instanceof Error ? error : new Error(String(error)));
    });
  });
}
