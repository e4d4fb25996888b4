import { randomUUID } from 'node:crypto';
import { checkBinding, checkWebhookAuth, type MessageBinding } from '../platform/auth';
import { ACCOUNT_PARAMETER, requestAccount, type Accounts } from '../platform/account';
import {
  CTLIVE_DEFAULT_CONCURRENCY,
  readConversationRecordTtl,
  readCtliveConcurrency,
  readAccounts,
  readCtliveTarget,
  readRouteWebhookAuth,
  type WebhookAuthConfig,
  type WebhookRoute,
} from '../platform/config';
import { conversationTouches } from '../conversation/window';
import { toMessageEvent, toReportEvent, type CtliveEvent } from './events';
import { createDedupe, type ClaimOutcome, type Dedupe, type ReportSeen } from './dedupe';
import { AppError, reasonOf } from '../platform/errors';
import { createForwarder, type Forwarder } from './forwarder';
import { runInLanes } from './lanes';
import { receivedLines } from './receivedLines';
import { checkJsonDepth, httpStack, jsonResponse, parseJson } from '../platform/http';
import { webhookEvents } from './notifications';
import type { RawResult } from './schemas';
import { runbook, type TaggedLogger } from '../platform/log';
import { OTHER } from '../platform/metrics';
import { createRedis, REDIS_MAX_CALL_MS } from '../platform/redis';
import { startFunction, type ColdStart } from '../platform/runtime';
import { WEBHOOK_SECRETS } from '../platform/secrets';

/**
 * CONTRACT section 5: bodies above this get 413 before anything reads them. Lambda's
 * synchronous invocation payload limit, 6 MB: nothing larger can reach the function on AWS
 * (the event around the body takes a little of it), so every body Infobip can deliver is taken.
 */
export const WEBHOOK_MAX_BODY_BYTES = 6 * 1024 * 1024;

/**
 * Infobip's largest batch: a subscription's `maxBucketSize` is 1 to 2000 results per request
 * (api-evangelist/infobip, openapi/infobip-subscriptions-api-openapi.json). Past it, the two
 * Redis pipelines could outgrow Upstash's 10 MB request limit, so more is refused with 413.
 */
export const WEBHOOK_MAX_RESULTS = 2000;

/**
 * This many forwards failing in a row (and at least the pool's size) mean ctlive is down,
 * not one conversation: nothing more is started, so a ctlive that hangs costs about one
 * timeout, not one per wave of the pool until the function's time runs out.
 */
const CTLIVE_DOWN_AFTER_FAILURES = 8;

/** A report's status kept in its Redis mark only up to this size, so the closing pipeline of 2,000 stays small. */
const REPORT_STATUS_MAX_CHARS = 1000;

class TooManyResultsError extends AppError {
  constructor(count: number) {
    super(
      413,
      'TOO_MANY_RESULTS',
      `The body has ${count} results to forward; at most ${WEBHOOK_MAX_RESULTS} are taken per request: set the subscription's maxBucketSize to ${WEBHOOK_MAX_RESULTS} or less`,
      { maxResults: WEBHOOK_MAX_RESULTS, results: count },
    );
  }
}

export interface WebhookDeps {
  log: TaggedLogger;
  auth: WebhookAuthConfig;
  dedupe: Dedupe;
  forwarder: Forwarder;
  /** Forwards at once per webhook (`CTLIVE_CONCURRENCY`); default CTLIVE_DEFAULT_CONCURRENCY. */
  concurrency?: number;
  /** Customers' files: IMChannel's links in the event, and their copies asked for (onMessage, when files are copied). */
  inboundMedia?: InboundMediaStep;
  /**
   * The Infobip accounts the URL's `?account=` may name (lib/platform/account.ts). Without
   * it only the deployment's own account is known, and a URL naming another is a 400.
   */
  accounts?: Accounts;
}

/** What onMessage does for the files in a message (lib/inboundMedia/step.ts builds it). */
export interface InboundMediaStep {
  /** The event with IMChannel's links in its media, and the copies it needs noted; `account`: the message's Infobip account. */
  annotate(event: CtliveEvent, account: string | undefined): CtliveEvent;
  /** Before the event is forwarded: its files' copies are asked for, or this throws and the forward fails. */
  beforeForward(event: CtliveEvent): Promise<void>;
}

/** 503 so that Infobip retries; the counts tell whoever reads the response what got through. */
class WebhookRetryError extends AppError {
  constructor(code: string, message: string, details: { notForwarded: string[] } & Record<string, unknown>) {
    super(503, code, message, details);
    // The log line names them too, so that a search by a held-back result's id finds it.
    this.logReason = `notForwarded [${details.notForwarded.join(', ')}]`;
  }
}

type Outcome = 'forwarded' | 'duplicate' | 'inFlight' | 'redisFailed' | 'forwardFailed' | 'notTried' | 'outOfTime';

/** A webhook built without `accounts` knows only the deployment's own account. */
const NO_OTHER_ACCOUNTS: Accounts = { allowedHosts: [] };

/** Kept back from the function's time for the closing Redis round trip and the answer. */
const SETTLE_RESERVE_MS = REDIS_MAX_CALL_MS + 500;

/** `POST /imchannel/onMessage`: customers' messages. */
export const makeOnMessageHandler = (deps: WebhookDeps) =>
  makeWebhookHandler(deps, runbook.messageReceived, toMessageEvent, { acceptsBoundToken: false });

/** `POST /imchannel/onDeliveryReport`: delivery and seen reports of outbound messages. */
export const makeOnDeliveryReportHandler = (deps: WebhookDeps) =>
  makeWebhookHandler(deps, runbook.reportReceived, toReportEvent, { acceptsBoundToken: true });

/**
 * The ids of the reports in a body a message-bound token let in; anything else in it (a
 * customer message, a notification, a body that is no payload) is no report of that message
 * and makes the check fail, before the body is logged as received.
 */
function reportIdsOf(body: string, toEvent: (raw: RawResult) => CtliveEvent): string[] {
  try {
    const { events, notForwarded } = webhookEvents(parseJson(body), toEvent);
    if (notForwarded.length > 0) return [];
    return events.map((e) => (e.event === 'delivery' || e.event === 'seen' ? e.messageId : ''));
  } catch {
    return [];
  }
}

/** Production dependencies, built once per cold start; a config problem stops the function there. */
function webhookDeps(
  route: WebhookRoute,
  { log, redisConfig }: ColdStart,
  inboundMedia: () => InboundMediaStep | undefined,
): WebhookDeps {
  const policy = readRouteWebhookAuth(route);
  if (policy.open) {
    log.warn('Webhook auth is not configured: webhooks are accepted without credentials (local development only)');
  }
  return {
    log,
    auth: policy.auth,
    dedupe: createDedupe(createRedis(redisConfig), { conversationTtlSeconds: readConversationRecordTtl() }),
    forwarder: createForwarder(readCtliveTarget()),
    concurrency: readCtliveConcurrency(),
    inboundMedia: inboundMedia(),
    accounts: readAccounts(),
  };
}

function makeWebhookHandler(
  deps: WebhookDeps,
  receivedLine: (body: string) => string,
  toEvent: (raw: RawResult) => CtliveEvent,
  { acceptsBoundToken }: { acceptsBoundToken: boolean },
) {
  const { log } = deps;
  const bindings = new WeakMap<object, MessageBinding>();
  return httpStack(
    {
      log,
      maxBodyBytes: WEBHOOK_MAX_BODY_BYTES,
      authorize: (event) => {
        const binding = checkWebhookAuth({ headers: event.headers, query: event.queryStringParameters }, deps.auth, {
          acceptsBoundToken,
        });
        if (binding !== undefined) bindings.set(event, binding);
      },
    },
    async (event, context) => {
      const body = event.rawBody ?? '';
      // Before the received line too, which walks the results to cut the line in parts.
      checkJsonDepth(body);
      // A notifyUrl's token vouches for its own message's reports and nothing else.
      const binding = bindings.get(event);
      if (binding !== undefined) checkBinding(binding, reportIdsOf(body, toEvent));
      // Infobip's ids are unique only within an account: every key this request writes names its own.
      const account = requestAccount(event.queryStringParameters?.[ACCOUNT_PARAMETER], deps.accounts ?? NO_OTHER_ACCOUNTS);
      // The runbook's first stop: logged before parsing, so even a body we reject is on
      // record; in parts when it is too long for one CloudWatch event (receivedLines.ts).
      for (const line of receivedLines(body, receivedLine)) log.info(line);
      const parsed = webhookEvents(parseJson(body), toEvent);
      const { notForwarded: acknowledged } = parsed;
      const { inboundMedia } = deps;
      const events = inboundMedia === undefined ? parsed.events : parsed.events.map((e) => inboundMedia.annotate(e, account));
      if (events.length > WEBHOOK_MAX_RESULTS) throw new TooManyResultsError(events.length);
      for (const line of acknowledged) log.info(line);
      const ignored = acknowledged.length > 0 ? { ignored: acknowledged.length } : {};
      if (events.length === 0) return jsonResponse(200, { forwarded: 0, duplicates: 0, ...ignored });

      const outcomes = await deliverOnce(deps, events, account, () => context.getRemainingTimeInMillis());

      const forwarded = outcomes.filter((o) => o === 'forwarded').length;
      const duplicates = outcomes.filter((o) => o === 'duplicate').length;
      if (forwarded + duplicates === events.length) return jsonResponse(200, { forwarded, duplicates, ...ignored });

      const notForwarded = events.filter((_, i) => {
        const outcome = outcomes[i];
        return outcome !== 'forwarded' && outcome !== 'duplicate';
      });
      throw new WebhookRetryError(
        outcomes.includes('redisFailed')
          ? 'REDIS_UNAVAILABLE'
          : outcomes.includes('forwardFailed')
            ? 'CTLIVE_UNAVAILABLE'
            : outcomes.includes('outOfTime')
              ? 'OUT_OF_TIME'
              : 'FORWARD_IN_PROGRESS',
        `${notForwarded.length} of ${events.length} results were not forwarded yet; retry later`,
        { forwarded, duplicates, notForwarded: notForwarded.map((e) => e.messageId) },
      );
    },
  );
}

/**
 * Infobip's status groups (api-evangelist/infobip, openapi/infobip-whatsapp-openapi.json,
 * MessageGeneralStatus), plus SEEN for a seen report: a delivery report's `statusGroup`
 * dimension; anything else is OTHER, so the wire cannot grow the metric's cardinality.
 */
const STATUS_GROUPS = ['ACCEPTED', 'PENDING', 'UNDELIVERABLE', 'DELIVERED', 'EXPIRED', 'REJECTED'];

function statusGroupOf(event: CtliveEvent): string {
  if (event.event === 'seen') return 'SEEN';
  const group = event.event === 'delivery' ? event.status?.groupName : undefined;
  return typeof group === 'string' && STATUS_GROUPS.includes(group) ? group : OTHER;
}

/** The webhook's metrics: what came in and what became of each result. */
function countOutcomes({ metrics }: TaggedLogger, outcomes: Outcome[]): Outcome[] {
  const count = (outcome: Outcome) => outcomes.filter((o) => o === outcome).length;
  metrics.count('Forwarded', {}, count('forwarded'));
  metrics.count('Duplicates', {}, count('duplicate'));
  metrics.count('ForwardFailures', {}, count('forwardFailed'));
  metrics.count('NotForwarded', {}, outcomes.length - count('forwarded') - count('duplicate'));
  return outcomes;
}

/**
 * The conversation a result belongs to: ctlive must see its results in the order Infobip
 * sent them, and a failed one holds back the rest of it (docs/api.md, "Batches").
 * Messages (and identity changes) are one customer (`from`) writing to one business number
 * (`to`). Delivery and seen reports are about one outbound message each, and only their
 * order per message matters (delivered, then seen): reports on different messages are
 * separate facts with their own times (`doneAt`, `seenAt`), so they need not queue behind
 * each other, nor behind one another's failure. A result without both numbers cannot be
 * placed in a conversation and goes on its own.
 */
export function conversationOf(event: CtliveEvent): string {
  if (event.event === 'delivery' || event.event === 'seen') return `report:${event.messageId}`;
  return event.from !== undefined && event.to !== undefined
    ? `conversation:${event.from}>${event.to}`
    : `alone:${event.event}:${event.messageId}`;
}

/**
 * Claim every result, forward the claimed ones, then mark them done, or release the
 * claims the retry needs: two Redis round trips for the whole webhook, whatever its size.
 * Forwards run `concurrency` at a time, one conversation after another in Infobip's order
 * (lib/inbound/lanes.ts): a failure, or a result another request is still forwarding,
 * holds back the rest of its conversation for Infobip's retry and nothing else, so a
 * ctlive that is down costs at most one timeout per conversation in flight. A result
 * repeated inside one body shares the first copy's fate, so it is forwarded once.
 *
 * Done marks are written only at the end, so the function must live to write them: a
 * forward starts only while its worst case still leaves time for that last round trip.
 * What is left over is released and answered with 503, and Infobip's retry brings it.
 */
async function deliverOnce(
  { log, dedupe, forwarder, inboundMedia, concurrency = CTLIVE_DEFAULT_CONCURRENCY }: WebhookDeps,
  events: CtliveEvent[],
  account: string | undefined,
  remainingMs: () => number,
): Promise<Outcome[]> {
  log.metrics.count('ResultsReceived', {}, events.length);
  for (const event of events) {
    if (event.event !== 'message') log.metrics.count('DeliveryReports', { statusGroup: statusGroupOf(event) });
  }
  const keyOf = (event: CtliveEvent) => `${event.event}:${event.messageId}`;
  const firstIndex = new Map<string, number>();
  events.forEach((event, i) => {
    if (!firstIndex.has(keyOf(event))) firstIndex.set(keyOf(event), i);
  });
  const distinct = [...firstIndex.values()].map((i) => events[i] as CtliveEvent);

  const owner = randomUUID();
  const asKey = ({ event, messageId }: CtliveEvent) => ({ kind: event, messageId, account });
  const keys = distinct.map(asKey);
  let claims: ClaimOutcome[];
  try {
    // The customers' messages also record their 24-hour window, in this same round trip.
    claims = await dedupe.claim(keys, owner, conversationTouches(distinct));
  } catch (error: unknown) {
    // Never forward without a claim: that is how a message would reach ctlive twice.
    for (const { event, messageId } of distinct) {
      log.error(`Could not claim the ${event} event in Redis, not forwarded`, { messageId, reason: reasonOf(error) });
    }
    // Best effort: a slow Redis may still have taken some of the claims; left alone they
    // would answer Infobip's retries with 503 until they expire.
    await dedupe.abandon(keys, owner).catch(() => undefined);
    return countOutcomes(
      log,
      events.map(() => 'redisFailed'),
    );
  }

  const byKey = new Map<string, Outcome>();
  distinct.forEach((event, i) => {
    const claim = claims[i];
    if (claim === 'done') {
      log.info(`Duplicate ${event.event} event for messageId [${event.messageId}]: already forwarded, skipped`, {
        messageId: event.messageId,
      });
      byKey.set(keyOf(event), 'duplicate');
    } else if (claim === 'inFlight') {
      log.warn(`The ${event.event} event is being forwarded by another request; answering 503 so that Infobip retries`, {
        messageId: event.messageId,
      });
      byKey.set(keyOf(event), 'inFlight');
    }
  });

  // A duplicate is behind us; one in flight elsewhere is ahead of what follows it in its
  // conversation, so it takes a place in the lane, where it holds the rest back.
  const queued = distinct.filter((_, i) => claims[i] !== 'done');
  const downAfter = Math.max(concurrency, CTLIVE_DOWN_AFTER_FAILURES);
  let failuresInARow = 0;
  let stoppedBy: 'time' | 'ctliveDown' | undefined;
  const lanes = await runInLanes(queued, {
    concurrency,
    laneOf: conversationOf,
    mayStart: () => {
      if (failuresInARow >= downAfter) stoppedBy = 'ctliveDown';
      else if (remainingMs() < forwarder.timeoutMs + SETTLE_RESERVE_MS) stoppedBy = 'time';
      return stoppedBy === undefined;
    },
    run: async (event) => {
      if (byKey.get(keyOf(event)) === 'inFlight') return false;
      const started = Date.now();
      try {
        await inboundMedia?.beforeForward(event);
        await forwarder.forward(event);
        failuresInARow = 0;
      } catch (error: unknown) {
        failuresInARow += 1;
        log.error(`Forwarding the ${event.event} event to [${forwarder.target}] failed, claim released`, {
          messageId: event.messageId,
          reason: reasonOf(error),
        });
        byKey.set(keyOf(event), 'forwardFailed');
        return false;
      } finally {
        log.metrics.record('ForwardDuration', Date.now() - started);
      }
      log.info(`Forwarded ${event.event} event for messageId [${event.messageId}] to [${forwarder.target}]`, {
        messageId: event.messageId,
      });
      byKey.set(keyOf(event), 'forwarded');
      return true;
    },
  });

  const done: CtliveEvent[] = [];
  const released: CtliveEvent[] = [];
  let outOfTime = 0;
  queued.forEach((event, i) => {
    const lane = lanes[i];
    if (lane === 'ran') done.push(event);
    else if (byKey.get(keyOf(event)) === 'inFlight')
      return; // another request's claim: not ours to release
    else released.push(event); // failed, or never tried: the retry forwards it
    if (lane === 'heldBack' || (lane === 'notStarted' && stoppedBy === 'ctliveDown')) byKey.set(keyOf(event), 'notTried');
    else if (lane === 'notStarted') {
      byKey.set(keyOf(event), 'outOfTime');
      outOfTime += 1;
    }
  });
  if (stoppedBy === 'ctliveDown') {
    log.warn(`${downAfter} forwards in a row failed: ctlive looks down, the rest released for Infobip's retry (503)`, {
      notTried: queued.filter((_, i) => lanes[i] === 'notStarted').length,
    });
  }

  if (outOfTime > 0) {
    log.warn(`Not enough time left to forward ${outOfTime} more result(s) safely; released for Infobip's retry (503)`, {
      remainingMs: remainingMs(),
    });
  }

  try {
    const reports = done.flatMap((e): ReportSeen[] =>
      e.event === 'delivery'
        ? [{ event: e.event, messageId: e.messageId, status: boundedStatus(e.status), account }]
        : e.event === 'seen'
          ? [{ event: e.event, messageId: e.messageId, account }]
          : [],
    );
    await dedupe.settle(done.map(asKey), released.map(asKey), reports);
  } catch (error: unknown) {
    // What ctlive has is still a success; only a copy arriving after the claim expires
    // could be forwarded again. A claim not released only delays the retry until it expires.
    for (const { messageId } of done) {
      log.error('Forwarded, but could not mark it done in Redis', { messageId, reason: reasonOf(error) });
    }
    for (const { messageId } of released) {
      log.error('Could not release the claim in Redis; a retry goes through once it expires', {
        messageId,
        reason: reasonOf(error),
      });
    }
  }
  return countOutcomes(
    log,
    events.map((event, i) => {
      const outcome = byKey.get(keyOf(event)) as Outcome;
      // A repeat inside the body of a result that went through counts as a duplicate.
      return outcome === 'forwarded' && firstIndex.get(keyOf(event)) !== i ? 'duplicate' : outcome;
    }),
  );
}

/** The mark only proves the message exists (lib/outbound/idempotency.ts); an outsized status is left out of it. */
function boundedStatus(status: unknown): unknown {
  return (JSON.stringify(status) ?? '').length <= REPORT_STATUS_MAX_CHARS ? status : undefined;
}

const WEBHOOKS = { onMessage: makeOnMessageHandler, onDeliveryReport: makeOnDeliveryReportHandler } as const;

/**
 * Production wiring of onMessage and onDeliveryReport, once per cold start. `inboundMedia`
 * builds onMessage's step for customers' files (a higher layer, lib/inboundMedia, owns it).
 */
export function startWebhook(name: keyof typeof WEBHOOKS, inboundMedia: () => InboundMediaStep | undefined = () => undefined) {
  return startFunction(name, (start) => WEBHOOKS[name](webhookDeps(name, start, inboundMedia)), { secrets: WEBHOOK_SECRETS });
}
