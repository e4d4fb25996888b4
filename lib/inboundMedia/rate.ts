import { randomUUID } from 'node:crypto';
import type { Redis } from '@upstash/redis';
import { redisKeys } from '../platform/redis';

/**
 * Infobip allows 15 downloads of inbound media per second per account, HEAD included
 * (Infobip's published OpenAPI specification (v3.210.0), infobip-whatsapp-openapi.json,
 * download-whatsapp-inbound-media and get-whatsapp-media-metadata). Every copier and the
 * route share one sliding window per Infobip host (an account's own base URL) in Redis, timed
 * by Redis's clock so that Lambdas on different machines agree: a download starts only while
 * the window (a second and a guard, below) holds fewer than the limit.
 */
export const INFOBIP_MEDIA_RATE_PER_SECOND = 15;

/**
 * How much longer than Infobip's second a download keeps its place. The time from taking a
 * place to the request reaching Infobip varies (the Redis round trip, a new connection, a busy
 * process): with a window of exactly one second, that spread lets Infobip count more than 15
 * in one of its own seconds (up to 19 in the reliability suite's batch of 2,000) and answer
 * 429. The guard costs a fifth of the rate (15 per 1.25 s, 12/s) and covers a spread of up to
 * 250 ms.
 */
export const RATE_WINDOW_GUARD_MS = 250;
const WINDOW_MS = 1000 + RATE_WINDOW_GUARD_MS;

/**
 * Trims the window, then takes a place in it or says how long until one frees (ms). Places
 * are also spaced evenly (the window over the limit): copiers waiting for a full window would
 * otherwise all start together when it frees, and a burst of downloads reaches Infobip more
 * spread out than it left.
 */
const TAKE_SLOT = `
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
local limit = tonumber(ARGV[1])
local window = tonumber(ARGV[3])
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', now - window)
local wait = 0
local newest = redis.call('ZRANGE', KEYS[1], -1, -1, 'WITHSCORES')
if newest[2] then wait = math.ceil(tonumber(newest[2]) + window / limit - now) end
if redis.call('ZCARD', KEYS[1]) >= limit then
  local oldest = redis.call('ZRANGE', KEYS[1], 0, 0, 'WITHSCORES')
  wait = math.max(wait, tonumber(oldest[2]) + window - now)
end
if wait > 0 then return wait end
redis.call('ZADD', KEYS[1], now, ARGV[2])
redis.call('PEXPIRE', KEYS[1], 2 * window)
return 0`;

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
