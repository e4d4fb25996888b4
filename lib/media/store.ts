import type { Redis } from '@upstash/redis';
import { UnavailableError } from '../platform/errors';
import type { TaggedLogger } from '../platform/log';
import { decodeEntry, encodeEntry, type MediaEntry } from './format';
import { decodeObjectEntry, type ObjectEntry } from './objectEntry';
import { redisKeys } from '../platform/redis';
import { LAST_MESSAGE_MEMBER } from '../conversation/window';

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
   * GETEX … EX: reads the file and shortens its life in the same command. `found` is
   * false for no key; `entry` is undefined for a key that holds something else, and
   * `object` is set instead when that is a file kept in S3 (./objectEntry.ts).
   */
  take(id: string, ttlSeconds: number): Promise<{ found: false } | { found: true; entry?: MediaEntry; object?: ObjectEntry }>;
  remove(id: string): Promise<void>;
}

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
    async take(id, ttlSeconds) {
      const key = redisKeys.media(id);
      const value = await call('GETEX', key, () => redis.getex<string>(key, { ex: ttlSeconds }));
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
