import type { Redis } from '@upstash/redis';
import { accountKeys } from '../platform/redis';
import { LAST_MESSAGE_MEMBER, type ConversationTouch } from '../conversation/window';

/**
 * Webhook de-duplication (CONTRACT section 5): Infobip retries and re-sends, ctlive must
 * see each result once. A result is claimed before it is forwarded and marked done after,
 * so a copy that arrives while the first is still being forwarded is not forwarded again,
 * and a claim whose forward failed is released so that Infobip's retry goes through.
 */

export type ClaimOutcome =
  /** Ours: forward it, then settle it as done or released. */
  | 'claimed'
  /** Forwarded before, within the last 24 h. */
  | 'done'
  /** Another request holds the claim right now; its outcome is not known yet. */
  | 'inFlight';

/** One webhook result: the ctlive event kind and Infobip's messageId, unique within its account. */
export interface DedupeKey {
  kind: string;
  messageId: string;
  /** The Infobip account the result came from (lib/platform/account.ts); undefined: the deployment's own. */
  account?: string;
}

/**
 * Batched so that a webhook costs two Redis round trips whatever its size: every claim in
 * one pipeline before forwarding, every done mark and release in one pipeline after.
 */
export interface Dedupe {
  /**
   * One outcome per key, in order. Keys must be distinct. `owner` is unique to the request:
   * a claim already holding it is this request's own (a retried call whose first reply
   * was lost), not another request's. `conversations` (customers' messages) move their
   * conversation's last-message time forward, never back, in the same pipeline: the
   * 24-hour window costs the webhook no round trip (lib/conversation/window.ts).
   */
  claim(keys: DedupeKey[], owner: string, conversations?: ConversationTouch[]): Promise<ClaimOutcome[]>;
  /**
   * Marks forwarded results done and releases claims whose forward failed or never ran. A
   * forwarded delivery or seen report also leaves a mark under its messageId, in the same
   * pipeline: it proves the outbound message exists, which an idempotent send whose
   * outcome was unknown reads (lib/outbound/idempotency.ts) before sending anything again.
   */
  settle(done: DedupeKey[], released: DedupeKey[], reports?: ReportSeen[]): Promise<void>;
  /**
   * After a claim call failed: removes the claims that landed anyway (a Redis slower than
   * the client's timeout), and only those still held by `owner`, so Infobip's retry is not
   * held off until they expire and no other request's claim is touched.
   */
  abandon(keys: DedupeKey[], owner: string): Promise<void>;
}

/** A delivery or seen report forwarded for an outbound message. */
export interface ReportSeen {
  event: 'delivery' | 'seen';
  messageId: string;
  status?: unknown;
  /** As in DedupeKey: the mark settles only this account's message. */
  account?: string;
}

export interface DedupeOptions {
  /**
   * Long enough to outlive any forward (the function times out after 29 s), short
   * enough that a claim left by a crashed function stops blocking Infobip's retries soon.
   */
  claimTtlSeconds?: number;
  doneTtlSeconds?: number;
  /** How long a conversation's last-message time is kept (CONVERSATION_RECORD_TTL_SECONDS). */
  conversationTtlSeconds?: number;
}

/**
 * Weeks, not the window's 24 h: a send then tells a closed window (the customer wrote, long
 * ago) from one IMChannel never saw, which it reports as unknown, never as closed.
 */
export const DEFAULT_CONVERSATION_TTL_SECONDS = 30 * 24 * 60 * 60;

const CLAIMED = 'forwarding';
const DONE = 'done';
/** Deletes a key only while it holds the given value: one atomic step in Redis. */
const DELETE_IF_HELD = "if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('DEL', KEYS[1]) end return 0";

export function createDedupe(redis: Redis, options: DedupeOptions = {}): Dedupe {
  const claimTtl = options.claimTtlSeconds ?? 60;
  const doneTtl = options.doneTtlSeconds ?? 24 * 60 * 60;
  const conversationTtl = options.conversationTtlSeconds ?? DEFAULT_CONVERSATION_TTL_SECONDS;
  const keyOf = ({ kind, messageId, account }: DedupeKey) => accountKeys(account).webhookEvent(kind, messageId);
  return {
    async claim(keys, owner, conversations = []) {
      if (keys.length === 0) return [];
      // SET NX EX takes each claim, and the GET behind it in the same pipeline tells a
      // finished forward from one still running when the claim was not ours.
      const held = `${CLAIMED}:${owner}`;
      const pipeline = redis.pipeline();
      for (const key of keys) pipeline.set(keyOf(key), held, { nx: true, ex: claimTtl }).get(keyOf(key));
      // After the claims, so their replies keep their places. GT: a retried or late copy of
      // an older message never moves the time back; a duplicate changes nothing.
      for (const { key, at } of conversations) {
        pipeline.zadd(key, { gt: true }, { score: at, member: LAST_MESSAGE_MEMBER }).expire(key, conversationTtl);
      }
      const replies = await pipeline.exec<(string | null)[]>();
      return keys.map((_, i): ClaimOutcome => {
        const current = replies[2 * i + 1];
        // Our own value: taken now, or by this request's first try whose reply was lost.
        if (replies[2 * i] === 'OK' || current === held) return 'claimed';
        return current === DONE ? 'done' : 'inFlight';
      });
    },
    async abandon(keys, owner) {
      if (keys.length === 0) return;
      const pipeline = redis.pipeline();
      for (const key of keys) pipeline.eval(DELETE_IF_HELD, [keyOf(key)], [`${CLAIMED}:${owner}`]);
      await pipeline.exec();
    },
    async settle(done, released, reports = []) {
      if (done.length + released.length === 0) return;
      const pipeline = redis.pipeline();
      for (const key of done) pipeline.set(keyOf(key), DONE, { ex: doneTtl });
      for (const { event, messageId, status, account } of reports) {
        pipeline.set(accountKeys(account).reported(messageId), JSON.stringify({ event, status }), { ex: doneTtl });
      }
      if (released.length > 0) pipeline.del(...released.map(keyOf));
      await pipeline.exec();
    },
  };
}
