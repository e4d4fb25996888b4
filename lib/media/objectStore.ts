import type { Redis } from '@upstash/redis';
import type { TaggedLogger } from '../platform/log';
import { redisKeys } from '../platform/redis';
import { LAST_MESSAGE_MEMBER } from '../conversation/window';
import { decodeObjectEntry, encodeObjectEntry, type ObjectEntry } from './objectEntry';
import { MediaStoreUnavailableError, redisFailureReason } from './store';

/**
 * The Redis side of S3-backed files: the upload route writes the entry (SET … EX), a
 * media send reads it (GET, which leaves its expiry alone: only a fetch shortens it).
 */
export interface ObjectEntryStore {
  put(id: string, entry: ObjectEntry, ttlSeconds: number): Promise<void>;
  /**
   * The entry, `null` when there is no such key or it holds something else. With
   * `windowKey`, the same round trip reads that conversation's window (ZSCORE).
   */
  read(id: string, windowKey?: string): Promise<{ entry: ObjectEntry | null; window?: string | number | null }>;
  /**
   * Marks the upload as sent as `messageId` (SET NX … EX of its own key, and GET, in one
   * pipeline): undefined when this is the first send of it, else the messageId it was
   * already sent as (which is `messageId` again for a retry of the same message).
   */
  markSent(id: string, messageId: string, ttlSeconds: number): Promise<string | undefined>;
  /** Deletes the entry and its sent mark. */
  remove(id: string): Promise<void>;
}

export function createObjectEntryStore(redis: Redis, log: TaggedLogger): ObjectEntryStore {
  const call = async <T>(what: string, key: string, run: () => Promise<T>): Promise<T> => {
    try {
      return await run();
    } catch (error: unknown) {
      log.error(`[REDIS] ${what} failed for key [${key}]`, { reason: redisFailureReason(error) });
      throw new MediaStoreUnavailableError();
    }
  };
  const decode = (value: unknown) => (typeof value === 'string' ? (decodeObjectEntry(value) ?? null) : null);
  return {
    async put(id, entry, ttlSeconds) {
      const key = redisKeys.media(id);
      await call('SET', key, () => redis.set(key, encodeObjectEntry(entry), { ex: ttlSeconds }));
    },
    async read(id, windowKey) {
      const key = redisKeys.media(id);
      if (windowKey === undefined) return { entry: decode(await call('GET', key, () => redis.get<string>(key))) };
      const [value, window] = await call('GET', key, () =>
        redis.pipeline().get(key).zscore(windowKey, LAST_MESSAGE_MEMBER).exec<[string | null, string | number | null]>(),
      );
      return { entry: decode(value), window: window ?? null };
    },
    async markSent(id, messageId, ttlSeconds) {
      const key = redisKeys.uploadSent(id);
      const [set, value] = await call('SET NX', key, () =>
        redis
          .pipeline()
          .set(key, messageId, { nx: true, ex: ttlSeconds })
          .get<string>(key)
          .exec<[string | null, string | null]>(),
      );
      return set === 'OK' ? undefined : (value ?? undefined);
    },
    async remove(id) {
      const key = redisKeys.media(id);
      await call('DEL', key, () => redis.del(key, redisKeys.uploadSent(id)));
    },
  };
}
