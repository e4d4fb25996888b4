import type { Redis } from '@upstash/redis';
import { redisKeys } from './redis';

/**
 * Webhook de-duplication (CONTRACT section 5): Infobip retries and re-sends, ctlive must
 * see each result once. A result is claimed before it is forwarded and marked done after,
 * so a copy that arrives while the first is still being forwarded is not forwarded again,
 * and a claim whose forward failed is released so that Infobip's retry goes through.
 */

export type ClaimOutcome =
  /** Ours: forward it, then `markDone` or `release`. */
  | 'claimed'
  /** Forwarded before, within the last 24 h. */
  | 'done'
  /** Another request holds the claim right now; its outcome is not known yet. */
  | 'inFlight';

export interface Dedupe {
  claim(kind: string, messageId: string): Promise<ClaimOutcome>;
  markDone(kind: string, messageId: string): Promise<void>;
  release(kind: string, messageId: string): Promise<void>;
}

export interface DedupeOptions {
  /**
   * Long enough to outlive any forward (the function times out after 29 s), short
   * enough that a claim left by a crashed function stops blocking Infobip's retries soon.
   */
  claimTtlSeconds?: number;
  doneTtlSeconds?: number;
}

const CLAIMED = 'forwarding';
const DONE = 'done';

export function createDedupe(redis: Redis, options: DedupeOptions = {}): Dedupe {
  const claimTtl = options.claimTtlSeconds ?? 60;
  const doneTtl = options.doneTtlSeconds ?? 24 * 60 * 60;
  return {
    async claim(kind, messageId) {
      const key = redisKeys.webhookEvent(kind, messageId);
      // One round trip: SET NX EX takes the claim, and the GET behind it in the same
      // pipeline tells a finished forward from one still running when the claim was taken.
      const [set, current] = await redis
        .pipeline()
        .set(key, CLAIMED, { nx: true, ex: claimTtl })
        .get(key)
        .exec<[string | null, string | null]>();
      if (set === 'OK') return 'claimed';
      return current === DONE ? 'done' : 'inFlight';
    },
    async markDone(kind, messageId) {
      await redis.set(redisKeys.webhookEvent(kind, messageId), DONE, { ex: doneTtl });
    },
    async release(kind, messageId) {
      await redis.del(redisKeys.webhookEvent(kind, messageId));
    },
  };
}
