import { createHash } from 'node:crypto';
import { Redis } from '@upstash/redis';
import type { RedisConfig } from './config';
import { deadline } from './deadline';

/**
 * Infobip's messageIds are UUIDs or `wamid.…` ids well under this; a longer one (bad input)
 * is keyed by its digest, so 2,000 of them in a webhook's pipelines still fit Upstash's
 * 10 MB request limit.
 */
const MAX_ID_IN_KEY = 200;
const idInKey = (id: string) => (id.length <= MAX_ID_IN_KEY ? id : `sha256:${createHash('sha256').update(id).digest('hex')}`);

/**
 * Key names, in one place (docs/ENGINEERING.md habit 7). The names that hold an Infobip id
 * (`webhookEvent`, `reported`, `readMark`) are those of the deployment's own Infobip account;
 * `accountKeys` gives them for any account.
 */
export const redisKeys = {
  media: (id: string) => `IMChannel:MultimediaMessage:${id}`,
  /** The messageId an upload was sent as: an upload carries one message. */
  uploadSent: (id: string) => `IMChannel:UploadSent:${id}`,
  webhookEvent: (kind: string, messageId: string) => `IMChannel:Webhook:${kind}:${idInKey(messageId)}`,
  /** A send's Idempotency-Key (its SHA-256, so any printable key makes a plain key name). */
  idempotency: (keyDigest: string) => `IMChannel:Idempotency:${keyDigest}`,
  /** A delivery or seen report arrived for this outbound messageId: the message exists. */
  reported: (messageId: string) => `IMChannel:Reported:${idInKey(messageId)}`,
  /** A conversation's 24-hour window: the customer's last message to this business number (lib/conversation/window.ts). */
  conversation: (businessNumber: string, customer: string) => `IMChannel:Conversation:${businessNumber}:${customer}`,
  /** A sender's template catalogue, per Infobip account (its base URL, an origin). */
  templates: (sender: string, baseUrl: string) => `IMChannel:Templates:${sender}:${baseUrl}`,
  /** A customer's message this business number marked as read, so that marking it again costs Infobip nothing. */
  readMark: (businessNumber: string, messageId: string) => `IMChannel:Read:${businessNumber}:${idInKey(messageId)}`,
  /** The downloads of inbound media from one Infobip host in the last second (lib/inboundMedia/rate.ts). */
  inboundMediaRate: (host: string) => `IMChannel:InboundMediaRate:${host}`,
  /** How many times the copy of one message's file has run (lib/inboundMedia/copy.ts). */
  inboundCopyRuns: (fileKey: string) => `IMChannel:InboundCopyRuns:${idInKey(fileKey)}`,
};

/**
 * The keys an Infobip id goes into, for one Infobip account (lib/platform/account.ts):
 * Infobip's ids are unique only within an account. The default account (`undefined`) keeps
 * the names above, so what Redis held before accounts were named stays where it was read;
 * any other account's are `IMChannel:Account:<host>/<the same name without IMChannel:>`. No
 * other key starts so, and a host holds no `/`, so no two accounts' names can meet. (The
 * template cache names its account already: `templates`.)
 */
export function accountKeys(account: string | undefined) {
  const scoped = (key: string) =>
    account === undefined ? key : `IMChannel:Account:${account}/${key.slice('IMChannel:'.length)}`;
  return {
    webhookEvent: (kind: string, messageId: string) => scoped(redisKeys.webhookEvent(kind, messageId)),
    reported: (messageId: string) => scoped(redisKeys.reported(messageId)),
    readMark: (businessNumber: string, messageId: string) => scoped(redisKeys.readMark(businessNumber, messageId)),
  };
}

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
