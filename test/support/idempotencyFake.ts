import type { IdempotencyStore } from '../../lib/outbound/idempotency';
import { accountKeys } from '../../lib/platform/redis';

/**
 * The idempotency store over a Map, for unit tests that have no Redis: the same answers as
 * the real one (lib/outbound/idempotency.ts), which the integration tests run on Redis.
 * `reported` stands for the marks onDeliveryReport leaves, by their Redis key names.
 */
export function memoryIdempotency(config = { ttlSeconds: 86_400, lookupGraceSeconds: 600 }) {
  const values = new Map<string, string>();
  const reported = new Map<string, string>();
  /** Conversations' last-message times (ms) by key, as onMessage records them; the claim reads them like ZSCORE. */
  const windows = new Map<string, number>();
  /** Other keys a send reads in the claim's round trip (`alsoRead`): a cached template catalogue. */
  const others = new Map<string, string>();
  const store: IdempotencyStore = {
    async claim(key, record, reads = {}) {
      const { windowKey, alsoRead = [], account } = reads;
      const value = JSON.stringify(record);
      if (!values.has(key)) values.set(key, value);
      const held = values.get(key) ?? null;
      const also = alsoRead.map((extra) => others.get(extra) ?? null);
      const read = {
        also,
        ...(windowKey === undefined ? {} : { window: windows.has(windowKey) ? String(windows.get(windowKey)) : null }),
      };
      return held === value
        ? { claimed: true, ...read }
        : { claimed: false, held, report: reported.get(accountKeys(account).reported(record.messageId)) ?? null, ...read };
    },
    async replace(key, held, next) {
      if (values.get(key) !== held) return false;
      values.set(key, JSON.stringify(next));
      return true;
    },
    async release(key, held) {
      if (values.get(key) === held) values.delete(key);
    },
  };
  return { store, config, values, reported, windows, others };
}
