import type { Context } from 'aws-lambda';
import { Readable, type Writable } from 'node:stream';
import { finished, pipeline } from 'node:stream/promises';
import { readMediaConfig, readObjectStorageConfig, readStreamingRuntime, type MediaConfig } from '../platform/config';
import { AppError, MethodNotAllowedError, NotFoundError, reasonOf } from '../platform/errors';
import { httpStack, toHttpResponse, type HttpEvent, type HttpResponse } from '../platform/http';
import { runbook, type TaggedLogger } from '../platform/log';
import { OTHER } from '../platform/metrics';
import { MEDIA_KINDS, type MediaKind, type MediaKindSpec } from './kinds';
import { fileHeaders, type MediaEntry } from './format';
import { objectFileHeaders, type ObjectEntry } from './objectEntry';
import { createObjectStorage, type ObjectStorage } from './objects';
import { createMediaStore, type MediaStore } from './store';
import { createRedis, redisKeys } from '../platform/redis';
import { startFunction } from '../platform/runtime';
import { FETCH_SECRETS } from '../platform/secrets';

/** Only ids this service hands out (crypto.randomUUID: lower-case v4) can ever be found. */
const UUID_V4 = /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/;
const LOGGED_ID_MAX = 100;

/** The `result` dimension of MediaFetches; a Redis failure is the http stack's 503 (ServerErrors). */
type FetchResult = 'served' | 'badId' | 'notFound' | 'notAFile' | 'wrongKind';

export interface MediaFetchDeps {
  log: TaggedLogger;
  store: MediaStore;
  media: MediaConfig;
  /** The media bucket (issue 17); without it an S3-backed entry is not a file here. */
  objects?: ObjectStorage;
}

/** An id from the URL, fit for one log line: control characters escaped, length capped. */
function loggable(id: string): string {
  const escaped = JSON.stringify(id).slice(1, -1);
  return escaped.length <= LOGGED_ID_MAX
    ? escaped
    : `${escaped.slice(0, LOGGED_ID_MAX)}…[${escaped.length - LOGGED_ID_MAX} more chars]`;
}

/** What a fetch found: a 404 already counted and logged, or the file to serve. */
type Lookup =
  { kind: 'miss'; response: HttpResponse } | { kind: 'inline'; entry: MediaEntry } | { kind: 'object'; entry: ObjectEntry };

/**
 * The part of every fetch that does not depend on how the bytes go out: the runbook's three
 * lines, the one GETEX (which sets the key's expiry, for an S3-backed file too), and the
 * same 404 for every miss. A file whose key expired is not served even though its object
 * may still be in the bucket: the key is the only way to it.
 */
function makeLookup(spec: MediaKindSpec, deps: MediaFetchDeps) {
  const { log, store, media } = deps;
  const fetched = (method: string, result: FetchResult) =>
    log.metrics.count('MediaFetches', { method: method === 'HEAD' || method === 'GET' ? method : OTHER, result });
  // A 404 is the caller's (an expired link, a guessed id): WARN, like every 4xx.
  const notFound = (method: string, id: string, result: FetchResult, reason: string): Lookup => {
    fetched(method, result);
    log.warn(`Request failed with 404 NOT_FOUND for ID [${loggable(id)}]`, { mediaId: loggable(id), reason });
    return { kind: 'miss', response: toHttpResponse(new NotFoundError('No file with this id')) };
  };
  return async (event: HttpEvent, id: string, method: string): Promise<Lookup> => {
    // Infobip fetches HEAD then GET; the method, the caller's address and user agent tell
    // those two from a person's curl. After the runbook's words (text) and as JSON fields.
    const who = {
      method,
      sourceIp: event.requestContext.http.sourceIp,
      userAgent: event.requestContext.http.userAgent?.slice(0, 200),
    };
    log.info(`${runbook.fetchReceived(loggable(id))} (${method})`, who);
    if (!UUID_V4.test(id)) return notFound(method, id, 'badId', 'the id is not a UUID, Redis not asked');

    const key = redisKeys.media(id);
    log.info(runbook.redisGet(key), { method });
    const taken = await store.take(id, media.fetchTtlSeconds);
    if (!taken.found) return notFound(method, id, 'notFound', 'no such key: never stored, expired or deleted');
    log.info(runbook.setExpire(key, media.fetchTtlSeconds), { method });
    const { entry, object } = taken;
    const stored = entry ?? (deps.objects === undefined ? undefined : object);
    if (stored === undefined) return notFound(method, id, 'notAFile', 'the key holds something that is not a stored file');
    if (stored.kind !== spec.kind) {
      return notFound(method, id, 'wrongKind', `the file was stored as ${stored.kind}, not ${spec.kind}`);
    }
    fetched(method, 'served');
    return entry === undefined ? { kind: 'object', entry: object as ObjectEntry } : { kind: 'inline', entry };
  };
}

const methodOf = (event: HttpEvent) => event.requestContext.http.method.toUpperCase();

/** The id: the route's `{id}`, or on a Function URL (no route parameters) the last path segment. */
function idOf(event: HttpEvent): string {
  const fromRoute = event.pathParameters?.id;
  if (fromRoute !== undefined) return fromRoute;
  const path = event.rawPath ?? '';
  try {
    return decodeURIComponent(path.slice(path.lastIndexOf('/') + 1));
  } catch {
    return path.slice(path.lastIndexOf('/') + 1);
  }
}

/**
 * `GET|HEAD /imchannel/get{Kind}Message/{id}` (CONTRACT section 4), called by Infobip
 * without credentials: the unguessable id is the secret. Every miss answers the same 404,
 * so the answer tells nothing about which ids exist or what they hold. An S3-backed file
 * (issue 17) is answered HEAD from its metadata and GET with a 302 to a presigned S3 GET:
 * through API Gateway a Lambda answer holds at most 6 MB, so the bytes never come this way.
 */
export function makeFetchMediaHandler(spec: MediaKindSpec, deps: MediaFetchDeps) {
  const { log, media } = deps;
  const lookup = makeLookup(spec, deps);
  return httpStack({ log }, async (event) => {
    const method = methodOf(event);
    const found = await lookup(event, idOf(event), method);
    if (found.kind === 'miss') return found.response;
    if (found.kind === 'object') {
      const headers = objectFileHeaders(found.entry);
      if (method === 'HEAD') return { statusCode: 200, headers, body: '' };
      const objects = deps.objects as ObjectStorage; // an object entry is served only with storage wired
      const location = await objects.presignGet(found.entry.objectKey, media.fetchTtlSeconds, {
        contentType: found.entry.contentType,
        disposition: headers['content-disposition'] as string,
      });
      return { statusCode: 302, headers: { location, 'cache-control': 'no-store' }, body: '' };
    }
    const headers = fileHeaders(found.entry);
    // Infobip asks HEAD first for the size and type; the bytes come only with the GET.
    if (method === 'HEAD') return { statusCode: 200, headers, body: '' };
    // API Gateway decodes a base64 body back to the exact bytes on the way out.
    return { statusCode: 200, headers, body: found.entry.content, isBase64Encoded: true };
  });
}

/** Opens the answer: status and headers first, then a stream the body is written to. */
export type OpenResponse = (statusCode: number, headers: Record<string, string>) => Writable;

/**
 * The same fetch, answering with a stream (issue 17, `MEDIA_FETCH_MODE=stream`): on AWS the
 * fetch function's Lambda Function URL in RESPONSE_STREAM mode, locally the local stack's
 * streaming route (tools/streamRoute.ts), both running this code. An S3-backed file's GET
 * is piped from S3 as it arrives, so memory stays constant whatever its size.
 */
export function makeStreamingFetch(spec: MediaKindSpec, deps: MediaFetchDeps) {
  const { log } = deps;
  const lookup = makeLookup(spec, deps);
  const send = async (open: OpenResponse, response: HttpResponse) => {
    const body = response.body ?? '';
    const out = open(response.statusCode ?? 200, (response.headers ?? {}) as Record<string, string>);
    out.end(response.isBase64Encoded ? Buffer.from(body, 'base64') : body);
    await finished(out).catch(() => undefined);
  };
  return async (event: HttpEvent, open: OpenResponse): Promise<void> => {
    let statusCode = 500;
    const respond = (response: HttpResponse) => {
      statusCode = response.statusCode ?? 200;
      return send(open, response);
    };
    try {
      const method = methodOf(event);
      if (method !== 'GET' && method !== 'HEAD') {
        return await respond(toHttpResponse(new MethodNotAllowedError(method, event.rawPath ?? '', ['GET', 'HEAD'])));
      }
      const found = await lookup(event, idOf(event), method);
      if (found.kind === 'miss') return await respond(found.response);
      if (found.kind === 'inline') {
        const headers = fileHeaders(found.entry);
        return await respond(
          method === 'HEAD'
            ? { statusCode: 200, headers, body: '' }
            : { statusCode: 200, headers, body: found.entry.content, isBase64Encoded: true },
        );
      }
      const headers = objectFileHeaders(found.entry);
      if (method === 'HEAD') return await respond({ statusCode: 200, headers, body: '' });
      const object = await (deps.objects as ObjectStorage).get(found.entry.objectKey);
      if (object?.body == null) {
        log.error(`The file of ID [${idOf(event)}] is not in the bucket although its key lives`, {
          objectKey: found.entry.objectKey,
        });
        return await respond(toHttpResponse(new NotFoundError('No file with this id')));
      }
      statusCode = 200;
      const out = open(200, headers);
      // Backpressure end to end: S3 is read only as fast as the caller takes the bytes.
      await pipeline(Readable.fromWeb(object.body as import('node:stream/web').ReadableStream<Uint8Array>), out).catch(
        (error: unknown) => log.error('The file stream broke off', { reason: reasonOf(error), objectKey: found.entry.objectKey }),
      );
    } catch (error: unknown) {
      if (error instanceof AppError) {
        log.error(`Request failed with ${error.statusCode} ${error.code}`, { reason: error.message });
      } else {
        log.error('Request failed with an unexpected error', { reason: reasonOf(error) });
      }
      await respond(toHttpResponse(error)).catch(() => undefined);
    } finally {
      log.metrics.count('Requests');
      log.metrics.count('ServerErrors', {}, statusCode >= 500 ? 1 : 0);
      log.metrics.count('ClientErrors', {}, statusCode >= 400 && statusCode < 500 ? 1 : 0);
      log.metrics.flush();
    }
  };
}

/** One invocation: with `open`, answered as a stream; without, as API Gateway's buffered answer. */
interface FetchInvocation {
  event: HttpEvent;
  open?: OpenResponse;
}

/** What the Lambda Node.js runtime provides for response streaming (and serverless-offline imitates). */
interface LambdaStreaming {
  streamifyResponse: (
    handler: (event: HttpEvent, responseStream: Writable, context: Context) => Promise<void>,
  ) => (event: HttpEvent, context: Context) => Promise<void>;
  HttpResponseStream: { from: (stream: Writable, metadata: { statusCode: number; headers: Record<string, string> }) => Writable };
}

/** A Lambda Function URL's event: its domain is `<url-id>.lambda-url.<region>.on.aws`. */
const isFunctionUrlEvent = (event: HttpEvent) => event.requestContext.domainName?.includes('.lambda-url.') === true;

/**
 * The fetch functions' wiring, once per cold start, for both ways they are invoked: the
 * API Gateway route (buffered) and, in `stream` mode, the streaming Function URL. A fetch
 * bundle carries no Infobip client and no request schemas: nothing here imports them.
 */
export function wireMediaFetch(kind: MediaKind) {
  const spec = MEDIA_KINDS[kind];
  return startFunction<FetchInvocation, HttpResponse | void>(
    spec.fetchTag,
    ({ log, redisConfig }) => {
      const objectsConfig = readObjectStorageConfig();
      const deps: MediaFetchDeps = {
        log,
        media: readMediaConfig(),
        store: createMediaStore(createRedis(redisConfig), log),
        objects: objectsConfig === undefined ? undefined : createObjectStorage(objectsConfig, log),
      };
      const buffered = makeFetchMediaHandler(spec, deps);
      const streamed = makeStreamingFetch(spec, deps);
      return ({ event, open }, context) => (open === undefined ? buffered(event, context) : streamed(event, open));
    },
    { secrets: FETCH_SECRETS },
  );
}

/**
 * Production handler of the onGet{Kind}Message functions. On Lambda in `stream` mode it is
 * a response-streaming handler (its Function URL is RESPONSE_STREAM): a Function URL event
 * is streamed, and an API Gateway event, which Lambda invokes buffered, gets the usual JSON
 * answer written whole. Elsewhere (serverless-offline, which calls handlers the buffered way
 * only; the bench) it is the plain buffered handler.
 */
export function startMediaFetch(kind: MediaKind) {
  const wired = wireMediaFetch(kind);
  const streaming = (globalThis as unknown as { awslambda?: LambdaStreaming }).awslambda;
  if (streaming === undefined || !readStreamingRuntime()) {
    return (event: HttpEvent, context: Context) => wired({ event }, context) as Promise<HttpResponse>;
  }
  return streaming.streamifyResponse(async (event, responseStream, context) => {
    if (isFunctionUrlEvent(event)) {
      const open: OpenResponse = (statusCode, headers) =>
        streaming.HttpResponseStream.from(responseStream, { statusCode, headers });
      await wired({ event, open }, context);
      return;
    }
    const response = await wired({ event }, context);
    responseStream.end(JSON.stringify(response));
  });
}
