import type { IdempotencyStore } from '../../lib/outbound/idempotency';

/**
 * The idempotency store over a Map, for unit tests that have no Redis: the same answers as
 * the real one (lib/outbound/idempotency.ts), which the integration tests run on Redis.
 * `reported` stands for the marks onDeliveryReport leaves.
 */
export function memoryIdempotency(config = { ttlSeconds: 86_400, lookupGraceSeconds: 600 }) {
  const values = new Map<string, string>();
  const reported = new Map<string, string>();
  /** Other keys a send reads in the claim's round trip (`alsoRead`): a cached template catalogue. */
  const others = new Map<string, string>();
  const store: IdempotencyStore = {
    async claim(key, record, alsoRead = []) {
      const value = JSON.stringify(record);
      if (!values.has(key)) values.set(key, value);
      const held = values.get(key) ?? null;
      const also = alsoRead.map((extra) => others.get(extra) ?? null);
      return held === value
        ? { claimed: true, also }
        : { claimed: false, held, report: reported.get(record.messageId) ?? null, also };
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
  return { store, config, values, reported, others };
}
