import { randomUUID } from 'node:crypto';
import type { Redis } from '@upstash/redis';
import { redisKeys } from '../platform/redis';

/**
 * Infobip allows 15 downloads of inbound media per second per account, HEAD included
 * (Infobip's published OpenAPI specification (v3.210.0), infobip-whatsapp-openapi.json,
 * download-whatsapp-inbound-media and get-whatsapp-media-metadata). Every copier and the
 * route share one sliding window per Infobip host (an account's own base URL) in Redis,
 * timed by Redis's clock so that Lambdas on different machines agree: a download starts
 * only while the window (WINDOW_MS) holds fewer than the limit.
 */
export const INFOBIP_MEDIA_RATE_PER_SECOND = 15;
/**
 * The window the places are counted over: longer than Infobip's second by the spread of the
 * delay between taking a place and the request reaching Infobip (Redis's answer, a cold
 * connection, the event loop), so that no second *at Infobip* sees more than 15 even when
 * one download's request is slow to leave and the next one's is quick. 15 per 1.25 s is 12
 * a second at most when every copy waits; a test on real Redis measured 16 in one second
 * with a window of exactly one second.
 */
export const WINDOW_MS = 1_250;

/** Trims the window (ARGV[3] ms), then takes a place in it or says how long until one frees (ms). */
const TAKE_SLOT = `
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', now - tonumber(ARGV[3]))
if redis.call('ZCARD', KEYS[1]) < tonumber(ARGV[1]) then
  redis.call('ZADD', KEYS[1], now, ARGV[2])
  redis.call('PEXPIRE', KEYS[1], 2 * tonumber(ARGV[3]))
  return 0
end
local oldest = redis.call('ZRANGE', KEYS[1], 0, 0, 'WITHSCORES')
return math.max(1, tonumber(oldest[2]) + tonumber(ARGV[3]) - now)`;

export interface DownloadLimiter {
  /** Resolves when a download from `host` may start; throws after `maxWaitMs` without a place. */
  take(host: string, maxWaitMs?: number): Promise<void>;
}

export class RateWaitExceededError extends Error {
  constructor(host: string, waitedMs: number) {
    super(`No download slot at ${host} within ${waitedMs} ms`);
    this.name = 'RateWaitExceededError';
  }
}

export function createDownloadLimiter(redis: Redis, perSecond = INFOBIP_MEDIA_RATE_PER_SECOND): DownloadLimiter {
  return {
    async take(host, maxWaitMs = 30_000) {
      const started = Date.now();
      for (;;) {
        const waitMs = await redis.eval<string[], number>(
          TAKE_SLOT,
          [redisKeys.inboundMediaRate(host)],
          [String(perSecond), randomUUID(), String(WINDOW_MS)],
        );
        if (Number(waitMs) === 0) return;
        if (Date.now() - started + Number(waitMs) > maxWaitMs) throw new RateWaitExceededError(host, Date.now() - started);
        await new Promise((resolve) => setTimeout(resolve, Number(waitMs)));
      }
    },
  };
}
