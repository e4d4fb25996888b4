import { readMediaConfig, type MediaConfig } from '../platform/config';
import { NotFoundError } from '../platform/errors';
import { httpStack, toHttpResponse, type HttpResponse } from '../platform/http';
import { runbook, type TaggedLogger } from '../platform/log';
import { OTHER } from '../platform/metrics';
import { MEDIA_KINDS, type MediaKind, type MediaKindSpec } from './kinds';
import { fileHeaders } from './format';
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
}

/** An id from the URL, fit for one log line: control characters escaped, length capped. */
function loggable(id: string): string {
  const escaped = JSON.stringify(id).slice(1, -1);
  return escaped.length <= LOGGED_ID_MAX
    ? escaped
    : `${escaped.slice(0, LOGGED_ID_MAX)}…[${escaped.length - LOGGED_ID_MAX} more chars]`;
}

/**
 * `GET|HEAD /imchannel/get{Kind}Message/{id}` (CONTRACT section 4), called by Infobip
 * without credentials: the unguessable id is the secret. Every miss answers the same 404,
 * so the answer tells nothing about which ids exist or what they hold.
 */
export function makeFetchMediaHandler(spec: MediaKindSpec, deps: MediaFetchDeps) {
  const { log, store, media } = deps;
  const fetched = (method: string, result: FetchResult) =>
    log.metrics.count('MediaFetches', { method: method === 'HEAD' || method === 'GET' ? method : OTHER, result });
  // A 404 is the caller's (an expired link, a guessed id): WARN, like every 4xx.
  const notFound = (method: string, id: string, result: FetchResult, reason: string): HttpResponse => {
    fetched(method, result);
    log.warn(`Request failed with 404 NOT_FOUND for ID [${loggable(id)}]`, { mediaId: loggable(id), reason });
    return toHttpResponse(new NotFoundError('No file with this id'));
  };

  return httpStack({ log }, async (event) => {
    const id = event.pathParameters?.id ?? '';
    const method = event.requestContext.http.method.toUpperCase();
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
    const { entry } = taken;
    if (entry === undefined) return notFound(method, id, 'notAFile', 'the key holds something that is not a stored file');
    if (entry.kind !== spec.kind) {
      return notFound(method, id, 'wrongKind', `the file was stored as ${entry.kind}, not ${spec.kind}`);
    }
    fetched(method, 'served');

    const headers = fileHeaders(entry);
    // Infobip asks HEAD first for the size and type; the bytes come only with the GET.
    if (method === 'HEAD') return { statusCode: 200, headers, body: '' };
    // API Gateway decodes a base64 body back to the exact bytes on the way out.
    return { statusCode: 200, headers, body: entry.content, isBase64Encoded: true };
  });
}

/**
 * Production wiring of the onGet{Kind}Message functions, once per cold start. A fetch
 * bundle carries no Infobip client and no request schemas: nothing here imports them.
 */
export function startMediaFetch(kind: MediaKind) {
  const spec = MEDIA_KINDS[kind];
  return startFunction(
    spec.fetchTag,
    ({ log, redisConfig }) =>
      makeFetchMediaHandler(spec, {
        log,
        media: readMediaConfig(),
        store: createMediaStore(createRedis(redisConfig), log),
      }),
    { secrets: FETCH_SECRETS },
  );
}
