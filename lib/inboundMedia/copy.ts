import { createHash, randomUUID } from 'node:crypto';
import type { Redis } from '@upstash/redis';
import type { InboundMediaConfig } from '../platform/config';
import type { Dedupe } from '../inbound/dedupe';
import type { CtliveMediaFailedEvent, CtliveMediaStoredEvent } from '../inbound/events';
import type { Forwarder } from '../inbound/forwarder';
import type { ObjectStorage } from '../media/objects';
import { reasonOf } from '../platform/errors';
import type { TaggedLogger } from '../platform/log';
import { accountKeys, redisKeys } from '../platform/redis';
import { PermanentCopyFailure, TransientCopyFailure } from './download';
import type { DownloadLimiter } from './rate';
import { linksOf, sourceOf, sourceOfId } from './reference';
import type { CopyRequest } from './step';
import { storeInbound } from './store';

/**
 * copyInboundMedia: one customer's file, from Infobip to the bucket, then one event to
 * ctlive, `mediaStored` or `mediaFailed`, through the same forwarder and the same
 * exactly-once claim as the webhooks' events. A failure that may pass (Infobip's 429 or
 * 5xx, S3, Redis, ctlive) throws, and Lambda's asynchronous retry runs the copy again; the
 * object's key and the claim make a second run store and announce nothing twice.
 */

export interface CopierDeps {
  log: TaggedLogger;
  config: InboundMediaConfig;
  apiKey: string;
  storage: ObjectStorage;
  limiter: DownloadLimiter;
  redis: Redis;
  dedupe: Dedupe;
  forwarder: Forwarder;
  fetch?: typeof fetch;
  /** How long the announcement waits for the message event to reach ctlive first. */
  messageWaitMs?: number;
}

/** Infobip's Retry-After is waited out in the same run up to this; longer, Lambda's retry takes over. */
const RETRY_IN_RUN_MAX_MS = 10_000;
const RETRIES_IN_RUN = 2;
/**
 * Runs of one copy: the first and Lambda's retries (serverless.yml, copyInboundMedia's
 * `maximumRetryAttempts: 2`; test/template holds the two together). The last run that still
 * cannot reach the file says so to ctlive (`mediaFailed`, UNAVAILABLE) rather than leave it
 * to the failure queue unannounced; `url` still copies it on demand should Infobip recover.
 */
export const COPY_RUNS = 3;

/** This run's number for the file (INCR, kept past Lambda's six hours of retries). */
async function countRun(fileKey: string, redis: Redis): Promise<number> {
  const key = redisKeys.inboundCopyRuns(fileKey);
  const [run] = await redis
    .pipeline()
    .incr(key)
    .expire(key, 7 * 3_600)
    .exec<[number, number]>();
  return Number(run);
}

export class NotYetError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'NotYetError';
  }
}

export type CopyOutcome = 'stored' | 'failed' | 'alreadyAnnounced';

export async function copyInboundMedia(request: CopyRequest, deps: CopierDeps): Promise<CopyOutcome> {
  const { log } = deps;
  const age = Date.now() - Date.parse(request.requestedAt);
  if (Number.isFinite(age)) log.metrics.record('InboundMediaCopyAge', Math.max(age, 0));
  const source = request.id === undefined ? undefined : sourceOfId(request.id, deps.config.allowedHosts);
  if (source === undefined) {
    const refusal = sourceOf(request.sourceUrl, deps.config.allowedHosts);
    const reason = typeof refusal === 'string' ? refusal : 'HOST_NOT_ALLOWED';
    return announceFailure(request, new PermanentCopyFailure(reason, refusalText(reason)), deps);
  }
  const run = await countRun(fileKeyOf(request), deps.redis);
  let stored;
  for (let attempt = 0; ; attempt += 1) {
    try {
      stored = await storeInbound(source, request.type, { ...deps, fetch: deps.fetch });
      break;
    } catch (error: unknown) {
      if (error instanceof PermanentCopyFailure) return announceFailure({ ...request, id: source.id }, error, deps);
      const waitMs = error instanceof TransientCopyFailure ? error.retryAfterMs : undefined;
      const again = attempt < RETRIES_IN_RUN && waitMs !== undefined && waitMs <= RETRY_IN_RUN_MAX_MS;
      const last = !again && run >= COPY_RUNS;
      log.warn(
        `Copying the file of message [${request.messageId}] failed, ${again ? 'retrying' : last ? `run ${run} of ${COPY_RUNS}, giving up` : `run ${run} of ${COPY_RUNS}, left to the retry`}`,
        { messageId: request.messageId, reason: reasonOf(error) },
      );
      if (last) {
        const failure = new PermanentCopyFailure(
          'UNAVAILABLE',
          `The file could not be copied in ${run} runs: ${reasonOf(error)}`,
        );
        return announceFailure({ ...request, id: source.id }, failure, deps);
      }
      if (!again) throw error;
      await new Promise((resolve) => setTimeout(resolve, waitMs));
    }
  }
  if (stored.copiedNow) {
    log.metrics.count('InboundMediaCopied');
    log.metrics.count('InboundMediaBytes', {}, stored.size);
  }
  log.info(
    `Stored the file of message [${request.messageId}] as [${stored.key}] (${stored.size} bytes, sha256 ${stored.sha256})`,
    {
      messageId: request.messageId,
    },
  );
  const event: CtliveMediaStoredEvent = {
    event: 'mediaStored',
    messageId: request.messageId,
    ...party(request),
    media: {
      id: source.id,
      ...linksOf(deps.config, source.id),
      contentType: stored.contentType,
      size: stored.size,
      sha256: stored.sha256,
      ...(stored.fileName === undefined ? {} : { fileName: stored.fileName }),
    },
  };
  return (await announce(event, request, deps)) ? 'stored' : 'alreadyAnnounced';
}

const party = (request: CopyRequest) => ({
  ...(request.from === undefined ? {} : { from: request.from }),
  ...(request.to === undefined ? {} : { to: request.to }),
});

function refusalText(reason: string): string {
  return reason === 'HOST_NOT_ALLOWED'
    ? "The file's URL names a host outside INFOBIP_ALLOWED_HOSTS (or not over https): the Infobip API key is never sent there"
    : "The file's URL is not Infobip's inbound media URL (…/whatsapp/1/senders/{sender}/media/{mediaId})";
}

async function announceFailure(request: CopyRequest, failure: PermanentCopyFailure, deps: CopierDeps): Promise<CopyOutcome> {
  deps.log.warn(`The file of message [${request.messageId}] cannot be copied: ${failure.message}`, {
    messageId: request.messageId,
    reason: failure.reason,
  });
  // One total for the alarm, and the same by reason for the dashboard.
  deps.log.metrics.count('InboundMediaFailures');
  deps.log.metrics.count('InboundMediaFailuresByReason', { reason: failure.reason });
  const event: CtliveMediaFailedEvent = {
    event: 'mediaFailed',
    messageId: request.messageId,
    ...party(request),
    media: { ...(request.id === undefined ? {} : { id: request.id }), sourceUrl: request.sourceUrl },
    reason: failure.reason,
    description: failure.message,
  };
  return (await announce(event, request, deps)) ? 'failed' : 'alreadyAnnounced';
}

/** One announcement per file of a message, stored or failed: the claim is on the pair. */
const fileKeyOf = (request: CopyRequest) =>
  `${request.messageId}:${createHash('sha256').update(request.sourceUrl).digest('base64url').slice(0, 22)}`;

/**
 * Forwards the event once. It waits for the message's own event to be done first (ctlive
 * learns of the message before its file); a message not forwarded yet makes this run fail,
 * and the retry, or the copy Infobip's retry of the webhook asks for, announces it later.
 */
async function announce(
  event: CtliveMediaStoredEvent | CtliveMediaFailedEvent,
  request: CopyRequest,
  deps: CopierDeps,
): Promise<boolean> {
  const { log, dedupe, forwarder } = deps;
  const key = { kind: 'media', messageId: fileKeyOf(request), account: request.account };
  const [claim] = await dedupe.claim([key], randomUUID());
  if (claim === 'done') {
    log.info(`The ${event.event} event of message [${event.messageId}] was already forwarded, skipped`, {
      messageId: event.messageId,
    });
    return false;
  }
  if (claim === 'inFlight') throw new NotYetError(`Another copy is announcing the file of message ${event.messageId}`);
  try {
    await waitForMessage(event.messageId, request.account, deps);
    await forwarder.forward(event);
  } catch (error: unknown) {
    await dedupe.settle([], [key]).catch(() => undefined);
    log.error(`Forwarding the ${event.event} event to [${forwarder.target}] failed, claim released`, {
      messageId: event.messageId,
      reason: reasonOf(error),
    });
    throw error;
  }
  log.info(`Forwarded ${event.event} event for messageId [${event.messageId}] to [${forwarder.target}]`, {
    messageId: event.messageId,
  });
  await dedupe
    .settle([key], [])
    .catch((error: unknown) =>
      log.error('Forwarded, but could not mark it done in Redis', { messageId: event.messageId, reason: reasonOf(error) }),
    );
  return true;
}

/** The message's own claim, in its Infobip account: another account's message of the same id is another message. */
async function waitForMessage(messageId: string, account: string | undefined, deps: CopierDeps): Promise<void> {
  const until = Date.now() + (deps.messageWaitMs ?? 20_000);
  for (;;) {
    const mark = await deps.redis.get<string>(accountKeys(account).webhookEvent('message', messageId));
    if (mark === 'done') return;
    if (mark === null) throw new NotYetError(`The message ${messageId} has not reached ctlive yet`);
    if (Date.now() >= until) throw new NotYetError(`The message ${messageId} is still being forwarded`);
    await new Promise((resolve) => setTimeout(resolve, 250));
  }
}
