import { Redis } from '@upstash/redis';
import type { RedisConfig } from './config';
import { deadline } from './deadline';

/** Key names, in one place (docs/ENGINEERING.md habit 7). */
export const redisKeys = {
  media: (id: string) => `IMChannel:MultimediaMessage:${id}`,
  webhookEvent: (kind: string, messageId: string) => `IMChannel:Webhook:${kind}:${messageId}`,
  /** A send's Idempotency-Key (its SHA-256, so any printable key makes a plain key name). */
  idempotency: (keyDigest: string) => `IMChannel:Idempotency:${keyDigest}`,
  /** A delivery or seen report arrived for this outbound messageId: the message exists. */
  reported: (messageId: string) => `IMChannel:Reported:${messageId}`,
  /** A sender's template catalogue, per Infobip account (its base URL, an origin). */
  templates: (sender: string, baseUrl: string) => `IMChannel:Templates:${sender}:${baseUrl}`,
};

/** Past this a Redis call is treated as Redis being down: the caller answers 503. */
const REDIS_TIMEOUT_MS = 3_000;
const REDIS_RETRY_BACKOFF_MS = 50;
/** The longest one Redis call can take before it fails: two attempts and the pause between. */
export const REDIS_MAX_CALL_MS = 2 * REDIS_TIMEOUT_MS + REDIS_RETRY_BACKOFF_MS;

/**
 * One client per cold start. Values come back as stored (no JSON guessing), a hung
 * request is cut off, and a failure is retried once, quickly: the caller is waiting.
 */
export function createRedis(config: RedisConfig): Redis {
  return new Redis({
    url: config.url,
    token: config.token,
    automaticDeserialization: false,
    retry: { retries: 1, backoff: () => REDIS_RETRY_BACKOFF_MS },
    // The client asks for a signal per request and gives no hook to clear it after; the
    // timer is unref'd and aborting a finished request does nothing.
    signal: () => deadline(REDIS_TIMEOUT_MS).signal,
  });
}
