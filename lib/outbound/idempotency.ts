import { createHash, randomUUID } from 'node:crypto';
import type { Redis } from '@upstash/redis';
import { AppError, BadRequestError, UnavailableError, reasonOf } from '../platform/errors';
import { jsonResponse, type HttpEvent, type HttpResponse } from '../platform/http';
import type { TaggedLogger } from '../platform/log';
import { accountKeys, redisKeys } from '../platform/redis';
import { LAST_MESSAGE_MEMBER, type WindowRecord } from '../conversation/window';

/**
 * Exactly once on the way out (docs/api.md, "Idempotent sends"). Infobip has no idempotency
 * of its own, so a send carrying a key (the `Idempotency-Key` header, else the body's
 * `messageId`) claims it in Redis before anything is sent, and the first answer is kept:
 *
 * - the same key and body again replays that answer, with no Infobip call;
 * - the same key with another body is a 422, while the first still runs a 409;
 * - a request refused before anything was sent releases the key;
 * - when the outcome is unknown (Infobip did not answer in time, or the connection broke
 *   after the request went out, or the function died), a retry first resolves it: a
 *   delivery or seen report for the destination `messageId`, in the send's own Infobip
 *   account (ids are unique only within one), proves the message exists; else
 *   Infobip's message logs are asked (`GET /omni/1/logs?messageId=`); only once Infobip has
 *   not had it for the grace period is it sent again, with the same `messageId`.
 */

export interface IdempotencyConfig {
  /** How long a key and its answer are kept (`IDEMPOTENCY_TTL_SECONDS`, default 24 h). */
  ttlSeconds: number;
  /** How long Infobip's logs must have lacked the message before it is sent again. */
  lookupGraceSeconds: number;
}

/** Longer than any send function may run (API Gateway gives up at 30 s): an older claim is orphaned. */
export const IN_FLIGHT_MAX_MS = 30_000;
/** What a retry is told to wait while the outcome is still unknown. */
const UNKNOWN_RETRY_AFTER_SECONDS = 60;

type InFlight = { state: 'inFlight'; digest: string; messageId: string; owner: string; startedAt: number; extra?: Extra };
type Done = { state: 'done'; digest: string; messageId: string; status: number; body: unknown };
type Unknown = { state: 'unknown'; digest: string; messageId: string; since: number; to: string; extra?: Extra };
type IdempotencyRecord = InFlight | Done | Unknown;
/** Fields of the 200 body known before Infobip is called (a parked file's id and URL). */
type Extra = Record<string, unknown>;

/** What a delivery or seen report for a message left (lib/inbound/dedupe.ts writes it). */
export interface ReportMark {
  event: 'delivery' | 'seen';
  status?: unknown;
}

/** What Infobip's logs say of a messageId: there (with its status), or not (yet). */
export type InfobipLookup = { found: true; status: unknown } | { found: false };

/** The claim's reply; `window` is the conversation's record when `windowKey` was given, `also` the `alsoRead` values. */
export type ClaimResult = ({ claimed: true } | { claimed: false; held: string | null; report: string | null }) & {
  window?: WindowRecord;
  also: (string | null)[];
};

export interface IdempotencyStore {
  /**
   * One round trip: takes the key, or reads what holds it and any report for its messageId
   * in its Infobip account (`account`, lib/platform/account.ts; undefined: the deployment's own).
   * In the same pipeline: with `windowKey`, the conversation's 24-hour window
   * (lib/conversation/window.ts); with `alsoRead`, further keys the send needs (a template's
   * cached catalogue), handed back in order as `also`. Neither costs a round trip of its own.
   */
  claim(
    key: string,
    record: InFlight,
    reads?: { windowKey?: string; alsoRead?: readonly string[]; account?: string },
  ): Promise<ClaimResult>;
  /** Replaces our own value (`held`) by `next`, atomically; false when it no longer holds it. */
  replace(key: string, held: string, next: IdempotencyRecord): Promise<boolean>;
  /** Deletes the key while it still holds our value. */
  release(key: string, held: string): Promise<void>;
}

/** Replaces or deletes a key only while it holds the given value: one atomic step. */
const REPLACE_IF_HELD =
  "if redis.call('GET', KEYS[1]) ~= ARGV[1] then return 0 end " +
  "if ARGV[2] == '' then redis.call('DEL', KEYS[1]) else redis.call('SET', KEYS[1], ARGV[2], 'EX', ARGV[3]) end return 1";

export function createIdempotencyStore(redis: Redis, config: IdempotencyConfig): IdempotencyStore {
  const keyOf = (key: string) => redisKeys.idempotency(createHash('sha256').update(key).digest('hex'));
  return {
    async claim(key, record, reads = {}) {
      const value = JSON.stringify(record);
      const pipeline = redis
        .pipeline()
        .set(keyOf(key), value, { nx: true, ex: config.ttlSeconds })
        .get(keyOf(key))
        .get(accountKeys(reads.account).reported(record.messageId));
      const { windowKey, alsoRead = [] } = reads;
      if (windowKey !== undefined) pipeline.zscore(windowKey, LAST_MESSAGE_MEMBER);
      for (const extra of alsoRead) pipeline.get(extra);
      const replies = await pipeline.exec<(string | number | null)[]>();
      const [set, held, report] = replies as (string | null)[];
      const window = windowKey === undefined ? undefined : (replies[3] ?? null);
      const also = replies.slice(windowKey === undefined ? 3 : 4) as (string | null)[];
      const read = { also, ...(windowKey === undefined ? {} : { window }) };
      return set === 'OK' || held === value
        ? { claimed: true, ...read }
        : { claimed: false, held: held ?? null, report: report ?? null, ...read };
    },
    async replace(key, held, next) {
      const replaced = await redis.eval(REPLACE_IF_HELD, [keyOf(key)], [held, JSON.stringify(next), String(config.ttlSeconds)]);
      return Number(replaced) === 1;
    },
    async release(key, held) {
      await redis.eval(REPLACE_IF_HELD, [keyOf(key)], [held, '', '0']);
    },
  };
}

export class IdempotencyError extends AppError {}

/** The request's key: the header, else the body's messageId; undefined when it has neither. */
export function idempotencyKeyOf(event: HttpEvent, messageId: string | undefined): string | undefined {
  const header = event.headers['idempotency-key'];
  if (header === undefined) return messageId;
  if (!/^[\x20-\x7e]{1,255}$/.test(header) || header.trim() === '') {
    throw new BadRequestError(
      'INVALID_IDEMPOTENCY_KEY',
      'The Idempotency-Key header must be 1 to 255 printable ASCII characters (a UUID is a good choice)',
    );
  }
  return header;
}

/** Key order does not make two bodies different. */
function canonical(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonical).join(',')}]`;
  if (value !== null && typeof value === 'object') {
    const entries = Object.entries(value as Record<string, unknown>).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    return `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${canonical(v)}`).join(',')}}`;
  }
  return JSON.stringify(value) ?? 'null';
}

/**
 * The destination messageId a keyed send always carries, so that its message can be found:
 * ctlive's own, else one derived from the key (the same for every retry).
 */
export const messageIdFor = (key: string) => `imc-${createHash('sha256').update(`messageId:${key}`).digest('hex').slice(0, 32)}`;

const parse = (value: string | null): IdempotencyRecord | undefined => {
  if (value === null) return undefined;
  try {
    return JSON.parse(value) as IdempotencyRecord;
  } catch {
    return undefined;
  }
};

/** Whether an error means Infobip may have accepted the message (and the caller cannot know). */
export const outcomeUnknown = (error: unknown): boolean => error instanceof AppError && error.outcomeUnknown === true;

export interface IdempotentSend {
  store: IdempotencyStore;
  log: TaggedLogger;
  config: IdempotencyConfig;
  /** Asks Infobip's logs for the messageId (with the retry's Infobip settings). */
  lookup: (messageId: string) => Promise<InfobipLookup>;
  now?: () => number;
  /** The conversation whose 24-hour window the claim reads too (lib/outbound/windowGuard.ts). */
  windowKey?: string;
}

export interface Attempt {
  /** The destination messageId to send: always set under a key, so that the message can be found. */
  messageId: string | undefined;
  /** Fields of the eventual 200 body known before Infobip is called, kept should the outcome be unknown. */
  attach(extra: Extra): void;
  /** The conversation's window record as the claim read it; undefined when nothing read it. */
  window?: WindowRecord;
  /**
   * The values of the request's `alsoRead` keys, read in the claim's round trip; undefined
   * when no claim was made (no key), and the send must read them itself if it needs them.
   */
  also?: (string | null)[];
}

/** A delivered status for a message that only a seen report proves (seen implies delivered). */
const SEEN_STATUS = {
  groupId: 3,
  groupName: 'DELIVERED',
  id: 5,
  name: 'DELIVERED_TO_HANDSET',
  description: 'Message delivered to handset (a seen report for it arrived)',
};

/**
 * Runs `send` at most once per key and body. `body` is the validated request (its digest is
 * what tells a retry from a reuse); `to` is the destination as the 200 body says it.
 */
export async function idempotent(
  deps: IdempotentSend,
  request: {
    key: string | undefined;
    body: unknown;
    messageId: string | undefined;
    to: string;
    alsoRead?: readonly string[];
    /** The send's Infobip account (lib/platform/account.ts): only its reports settle an unknown outcome. */
    account?: string;
  },
  send: (attempt: Attempt) => Promise<HttpResponse>,
): Promise<HttpResponse> {
  const { key } = request;
  // No key: no claim, no Redis, and the request goes out as ctlive wrote it.
  if (key === undefined) return send({ messageId: request.messageId, attach: () => undefined });
  const { store, log } = deps;
  const now = deps.now ?? Date.now;
  const body = canonical(request.body);
  // The route is part of what was asked: one key on two routes is two different requests.
  const digest = `route:${createHash('sha256').update(`${log.tag}\n${body}`).digest('hex')}`;
  // Records written before the route was part of it; gone once IDEMPOTENCY_TTL_SECONDS has passed.
  const routelessDigest = createHash('sha256').update(body).digest('hex');
  const messageId = request.messageId ?? messageIdFor(key);
  const mine: InFlight = { state: 'inFlight', digest, messageId, owner: randomUUID(), startedAt: now() };

  let claim: Awaited<ReturnType<IdempotencyStore['claim']>>;
  try {
    claim = await store.claim(key, mine, { windowKey: deps.windowKey, alsoRead: request.alsoRead, account: request.account });
  } catch (error: unknown) {
    // Never send without the claim: that is how a retry would reach the customer twice.
    log.error('Could not claim the Idempotency-Key in Redis, nothing sent', { messageId, reason: reasonOf(error) });
    throw redisUnavailable();
  }
  if (claim.claimed) return run(deps, key, mine, send, request.to, claim);

  const held = parse(claim.held);
  if (held === undefined) {
    // Expired between the SET and the GET (or unreadable): a retry claims it afresh.
    throw inProgress(1);
  }
  if (held.digest !== digest && held.digest !== routelessDigest) {
    throw new IdempotencyError(
      422,
      'IDEMPOTENCY_KEY_REUSED',
      'This Idempotency-Key was used with another request body or on another route; use a new key for a new message',
    );
  }
  if (held.state === 'done') {
    log.info(`Replayed the first answer for this Idempotency-Key (messageId [${held.messageId}]): nothing sent again`, {
      messageId: held.messageId,
    });
    return replay(held.status, held.body);
  }
  if (held.state === 'inFlight' && now() - held.startedAt < IN_FLIGHT_MAX_MS) {
    throw inProgress(Math.ceil((IN_FLIGHT_MAX_MS - (now() - held.startedAt)) / 1000));
  }
  // Unknown, or a claim whose function died: find out before anything is sent again.
  const since = held.state === 'unknown' ? held.since : held.startedAt;
  const extra = held.extra ?? {};
  const to = held.state === 'unknown' ? held.to : request.to;
  const report = parseReport(claim.report);
  let status: unknown;
  if (report !== undefined) {
    status = report.event === 'seen' ? SEEN_STATUS : report.status;
    log.info(`A ${report.event} report proves message [${messageId}] was sent: answering as sent, nothing sent again`, {
      messageId,
    });
  } else {
    const found = await deps.lookup(messageId).catch((error: unknown) => {
      log.warn("Could not ask Infobip's message logs about an unknown outcome", { messageId, reason: reasonOf(error) });
      return undefined;
    });
    if (found?.found) {
      status = found.status;
      log.info(`Infobip's logs have message [${messageId}]: answering as sent, nothing sent again`, { messageId });
    } else if (found !== undefined && now() - since >= deps.config.lookupGraceSeconds * 1000) {
      // Infobip has not had it for the whole grace period: send it, once, with the same id.
      const next: InFlight = { ...mine, extra: undefined };
      const taken = await store.replace(key, String(claim.held), next).catch((error: unknown) => {
        // Not taken, so nothing is sent: the retry after this one tries again.
        log.error('Could not take the unknown outcome over in Redis, nothing sent', { messageId, reason: reasonOf(error) });
        throw redisUnavailable();
      });
      if (!taken) throw inProgress(1);
      log.warn(`Message [${messageId}] never reached Infobip: sending it again with the same messageId`, { messageId });
      return run(deps, key, next, send, request.to, claim);
    } else {
      const unknown = new IdempotencyError(
        409,
        'OUTCOME_UNKNOWN',
        `Whether message ${messageId} reached Infobip is not known yet; it is not sent again until that is known. Retry later`,
        { messageId, since: new Date(since).toISOString() },
      );
      unknown.retryAfterSeconds = UNKNOWN_RETRY_AFTER_SECONDS;
      throw unknown;
    }
  }
  const done: Done = { state: 'done', digest, messageId, status: 200, body: { messageId, to, status, ...extra } };
  await store.replace(key, String(claim.held), done).catch((error: unknown) => {
    log.error('Could not record the resolved outcome in Redis', { messageId, reason: reasonOf(error) });
  });
  return replay(done.status, done.body);
}

const redisUnavailable = () =>
  new UnavailableError('REDIS_UNAVAILABLE', 'The idempotency store (Redis) is unavailable; nothing was sent, retry later');

function inProgress(seconds: number): IdempotencyError {
  const error = new IdempotencyError(
    409,
    'REQUEST_IN_PROGRESS',
    'A request with this Idempotency-Key is still running; retry later',
  );
  error.retryAfterSeconds = Math.max(1, seconds);
  return error;
}

function parseReport(value: string | null): ReportMark | undefined {
  if (value === null) return undefined;
  try {
    const mark = JSON.parse(value) as ReportMark;
    return mark.event === 'delivery' || mark.event === 'seen' ? mark : undefined;
  } catch {
    return undefined;
  }
}

const replay = (status: number, body: unknown): HttpResponse => jsonResponse(status, body, { 'idempotent-replayed': 'true' });

/** Sends under our claim, then keeps the answer, marks the outcome unknown, or releases the key. */
async function run(
  { store, log }: IdempotentSend,
  key: string,
  mine: InFlight,
  send: (attempt: Attempt) => Promise<HttpResponse>,
  to: string,
  claimed: Pick<ClaimResult, 'window' | 'also'>,
): Promise<HttpResponse> {
  const held = JSON.stringify(mine);
  let extra: Extra | undefined;
  const attempt: Attempt = {
    messageId: mine.messageId,
    attach: (fields) => (extra = { ...extra, ...fields }),
    window: claimed.window,
    also: claimed.also,
  };
  let response: HttpResponse;
  try {
    response = await send(attempt);
  } catch (error: unknown) {
    const settle = outcomeUnknown(error)
      ? store.replace(key, held, {
          state: 'unknown',
          digest: mine.digest,
          messageId: mine.messageId,
          since: mine.startedAt,
          to,
          extra,
        })
      : store.release(key, held);
    await settle.catch((redisError: unknown) => {
      // Left as it is, the claim turns into an unknown outcome after IN_FLIGHT_MAX_MS and is resolved then.
      log.error('Could not settle the Idempotency-Key in Redis', { messageId: mine.messageId, reason: reasonOf(redisError) });
    });
    throw error;
  }
  const body = JSON.parse(String(response.body)) as unknown;
  await store
    .replace(key, held, {
      state: 'done',
      digest: mine.digest,
      messageId: mine.messageId,
      status: response.statusCode ?? 200,
      body,
    })
    .catch((error: unknown) => {
      log.error('Sent, but could not keep the answer for the Idempotency-Key in Redis', {
        messageId: mine.messageId,
        reason: reasonOf(error),
      });
    });
  return response;
}
