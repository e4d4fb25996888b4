import type { MediaConfig } from '../platform/config';
import { NotFoundError } from '../platform/errors';
import { toHttpResponse, type HttpEvent, type HttpResponse } from '../platform/http';
import { runbook, type TaggedLogger } from '../platform/log';
import { OTHER } from '../platform/metrics';
import { redisKeys } from '../platform/redis';
import type { MediaKindSpec } from './kinds';
import type { MediaEntry } from './format';
import type { ObjectEntry } from './objectEntry';
import type { ObjectStorage } from './objects';
import type { MediaStore } from './store';

/**
 * What every fetch does before its answer goes out, whether buffered through API Gateway
 * (./fetch.ts) or streamed through a Function URL (./fetchStream.ts).
 */

/** Only ids this service hands out (crypto.randomUUID: lower-case v4) can ever be found. */
const UUID_V4 = /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/;
const LOGGED_ID_MAX = 100;

/** The `result` dimension of MediaFetches; a Redis failure is the http stack's 503 (ServerErrors). */
type FetchResult = 'served' | 'badId' | 'notFound' | 'notAFile' | 'wrongKind';

export interface MediaFetchDeps {
  log: TaggedLogger;
  store: MediaStore;
  media: MediaConfig;
  /** The media bucket; without it an S3-backed entry is not a file here. */
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
export type Lookup =
  { kind: 'miss'; response: HttpResponse } | { kind: 'inline'; entry: MediaEntry } | { kind: 'object'; entry: ObjectEntry };

/**
 * The part of every fetch that does not depend on how the bytes go out: the runbook's three
 * lines, the one Redis call (which reads the file and, for its own kind only, brings its
 * expiry down to MEDIA_FETCH_TTL_SECONDS, never up; for an S3-backed file too), and the
 * same 404 for every miss. A file whose key expired is not served even though its object
 * may still be in the bucket: the key is the only way to it.
 */
export function makeLookup(spec: MediaKindSpec, deps: MediaFetchDeps) {
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
    const taken = await store.take(id, spec.kind, media.fetchTtlSeconds);
    if (!taken.found) return notFound(method, id, 'notFound', 'no such key: never stored, expired or deleted');
    const { entry, object } = taken;
    const stored = entry ?? (deps.objects === undefined ? undefined : object);
    if (stored === undefined) return notFound(method, id, 'notAFile', 'the key holds something that is not a stored file');
    // The store left another kind's expiry alone: a wrong route cannot shorten a pending file.
    if (stored.kind !== spec.kind) {
      return notFound(method, id, 'wrongKind', `the file was stored as ${stored.kind}, not ${spec.kind}`);
    }
    // At most this: a fetch only ever brings the expiry closer (EXPIRE … LT).
    log.info(runbook.setExpire(key, media.fetchTtlSeconds), { method });
    fetched(method, 'served');
    return entry === undefined ? { kind: 'object', entry: object as ObjectEntry } : { kind: 'inline', entry };
  };
}

export const methodOf = (event: HttpEvent) => event.requestContext.http.method.toUpperCase();

/** The id: the route's `{id}`, or on a Function URL (no route parameters) the last path segment. */
export function idOf(event: HttpEvent): string {
  const fromRoute = event.pathParameters?.id;
  if (fromRoute !== undefined) return fromRoute;
  const path = event.rawPath ?? '';
  try {
    return decodeURIComponent(path.slice(path.lastIndexOf('/') + 1));
  } catch {
    return path.slice(path.lastIndexOf('/') + 1);
  }
}
