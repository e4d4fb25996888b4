import type { Redis } from '@upstash/redis';
import { UnavailableError } from '../platform/errors';
import type { TaggedLogger } from '../platform/log';
import { decodeEntry, encodeEntry, type MediaEntry } from './format';
import { decodeObjectEntry, type ObjectEntry } from './objectEntry';
import { redisKeys } from '../platform/redis';
import { LAST_MESSAGE_MEMBER } from '../conversation/window';
import type { MediaKind } from './kinds';

/**
 * Files parked for Infobip (CONTRACT sections 3 and 4), one Redis value per file under
 * `IMChannel:MultimediaMessage:<uuid>`, one round trip per operation.
 */
export interface MediaStore {
  /**
   * SET … EX: the file lives `ttlSeconds` unless Infobip fetches it sooner. With
   * `windowKey`, the same round trip reads that conversation's 24-hour window (ZSCORE)
   * and returns its reply (lib/outbound/windowGuard.ts).
   */
  put(id: string, entry: MediaEntry, ttlSeconds: number, windowKey?: string): Promise<string | number | null | void>;
  /**
   * Reads the file and, only when it was stored as `kind`, shortens its life to at most
   * `ttlSeconds` (EXPIRE … LT), in one command (TAKE_SCRIPT): a fetch can never lengthen a
   * file's life, nor shorten another kind's. `found` is false for no key; `entry` is
   * undefined for a key that holds something else, and `object` is set instead when that is
   * a file kept in S3 (./objectEntry.ts).
   */
  take(
    id: string,
    kind: MediaKind,
    ttlSeconds: number,
  ): Promise<{ found: false } | { found: true; entry?: MediaEntry; object?: ObjectEntry }>;
  remove(id: string): Promise<void>;
}

/**
 * GET, then EXPIRE … LT only when the value is a file of the asked kind, in one round trip.
 * Both entry formats this service writes begin `{"v":<n>,"kind":"<kind>"` (JSON.stringify
 * keeps the key order of ./format.ts and ./objectEntry.ts), so the kind is read from that
 * prefix without decoding megabytes of base64 inside Redis. Anything else is returned as
 * is and left alone; the caller decodes it and answers 404.
 */
export const TAKE_SCRIPT = `local value = redis.call('GET', KEYS[1])
if not value then return false end
for i = 1, 2 do
  local prefix = ARGV[i]
  if string.sub(value, 1, #prefix) == prefix then
    redis.call('EXPIRE', KEYS[1], ARGV[3], 'LT')
    break
  end
end
return value`;

const kindPrefixes = (kind: MediaKind) => [`{"v":1,"kind":"${kind}"`, `{"v":2,"kind":"${kind}"`];

export class MediaStoreUnavailableError extends UnavailableError {
  constructor() {
    super('REDIS_UNAVAILABLE', 'The media store is unavailable, try again later');
  }
}

/**
 * Why a Redis call failed, safe to log: @upstash/redis appends the whole command to its
 * error messages, and for a SET that is the file.
 */
export function redisFailureReason(error: unknown): string {
  if (!(error instanceof Error)) return 'unknown error';
  const message = error.message.split(', command was:')[0] ?? '';
  const cause = error.cause instanceof Error ? ` (${error.cause.message})` : '';
  return `${error.name}: ${message}${cause}`.slice(0, 300);
}

export function createMediaStore(redis: Redis, log: TaggedLogger): MediaStore {
  const call = async <T>(what: string, key: string, run: () => Promise<T>): Promise<T> => {
    try {
      return await run();
    } catch (error: unknown) {
      log.error(`[REDIS] ${what} failed for key [${key}]`, { reason: redisFailureReason(error) });
      throw new MediaStoreUnavailableError();
    }
  };
  return {
    async put(id, entry, ttlSeconds, windowKey) {
      const key = redisKeys.media(id);
      if (windowKey === undefined) {
        await call('SET', key, () => redis.set(key, encodeEntry(entry), { ex: ttlSeconds }));
        return;
      }
      const [, score] = await call('SET', key, () =>
        redis
          .pipeline()
          .set(key, encodeEntry(entry), { ex: ttlSeconds })
          .zscore(windowKey, LAST_MESSAGE_MEMBER)
          .exec<[string | null, string | number | null]>(),
      );
      return score ?? null;
    },
    async take(id, kind, ttlSeconds) {
      const key = redisKeys.media(id);
      const value = await call('GET and EXPIRE LT', key, () =>
        redis.eval<string[], string | null>(TAKE_SCRIPT, [key], [...kindPrefixes(kind), String(ttlSeconds)]),
      );
      if (value === null || value === undefined) return { found: false };
      if (typeof value !== 'string') return { found: true };
      const entry = decodeEntry(value);
      return entry === undefined ? { found: true, object: decodeObjectEntry(value) } : { found: true, entry };
    },
    async remove(id) {
      const key = redisKeys.media(id);
      await call('DEL', key, () => redis.del(key));
    },
  };
}
