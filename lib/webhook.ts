import { checkWebhookAuth } from './auth';
import { readCtliveTarget, readRequiredWebhookAuth, type WebhookAuthConfig } from './config';
import { toMessageEvent, toReportEvent, type CtliveEvent } from './ctliveEvents';
import { createDedupe, type ClaimOutcome, type Dedupe } from './dedupe';
import { AppError, reasonOf } from './errors';
import { createForwarder, type Forwarder } from './forwarder';
import { httpStack, jsonResponse, parseJson } from './http';
import { parseWebhookResults, type RawResult } from './inboundSchemas';
import { runbook, type TaggedLogger } from './log';
import { createRedis } from './redis';
import type { ColdStart } from './runtime';

/** CONTRACT section 5: bodies above this get 413 before anything reads them. */
export const WEBHOOK_MAX_BODY_BYTES = 1024 * 1024;

export interface WebhookDeps {
  log: TaggedLogger;
  auth: WebhookAuthConfig;
  dedupe: Dedupe;
  forwarder: Forwarder;
}

/** 503 so that Infobip retries; the counts tell whoever reads the response what got through. */
export class WebhookRetryError extends AppError {
  constructor(code: string, message: string, details: Record<string, unknown>) {
    super(503, code, message, details);
  }
}

type Outcome = 'forwarded' | 'duplicate' | 'inFlight' | 'redisFailed' | 'forwardFailed';

/** `POST /imchannel/onMessage`: customers' messages. */
export const makeOnMessageHandler = (deps: WebhookDeps) =>
  makeWebhookHandler(deps, runbook.messageReceived, toMessageEvent);

/** `POST /imchannel/onDeliveryReport`: delivery and seen reports of outbound messages. */
export const makeOnDeliveryReportHandler = (deps: WebhookDeps) =>
  makeWebhookHandler(deps, runbook.reportReceived, toReportEvent);

/** Production dependencies, built once per cold start; a config problem stops the function there. */
export function wireWebhookDeps({ log, redisConfig }: ColdStart): WebhookDeps {
  const policy = readRequiredWebhookAuth();
  if (policy.open) {
    log.warn('Webhook auth is not configured: webhooks are accepted without credentials (local development only)');
  }
  return {
    log,
    auth: policy.auth,
    dedupe: createDedupe(createRedis(redisConfig)),
    forwarder: createForwarder(readCtliveTarget()),
  };
}

function makeWebhookHandler(
  deps: WebhookDeps,
  receivedLine: (body: string) => string,
  toEvent: (raw: RawResult) => CtliveEvent,
) {
  const { log } = deps;
  return httpStack(
    {
      log,
      maxBodyBytes: WEBHOOK_MAX_BODY_BYTES,
      authorize: (event) => checkWebhookAuth(event.headers, deps.auth),
    },
    async (event) => {
      const body = event.rawBody ?? '';
      // The runbook's first stop: logged before parsing, so even a body we reject is on record.
      log.info(receivedLine(body));
      const events = parseWebhookResults(parseJson(body)).map(toEvent);

      const outcomes: Outcome[] = [];
      for (const ctliveEvent of events) {
        const outcome = await deliverOnce(deps, ctliveEvent);
        outcomes.push(outcome);
        // Stop at the first failure: the rest keep their order for Infobip's retry, and a
        // ctlive that is down does not cost one timeout per result.
        if (outcome === 'redisFailed' || outcome === 'forwardFailed') break;
      }

      const forwarded = outcomes.filter((o) => o === 'forwarded').length;
      const duplicates = outcomes.filter((o) => o === 'duplicate').length;
      if (forwarded + duplicates === events.length) return jsonResponse(200, { forwarded, duplicates });

      const notForwarded = events.filter((_, i) => {
        const outcome = outcomes[i];
        return outcome !== 'forwarded' && outcome !== 'duplicate';
      });
      throw new WebhookRetryError(
        outcomes.includes('redisFailed')
          ? 'REDIS_UNAVAILABLE'
          : outcomes.includes('forwardFailed')
            ? 'CTLIVE_UNAVAILABLE'
            : 'FORWARD_IN_PROGRESS',
        `${notForwarded.length} of ${events.length} results were not forwarded yet; retry later`,
        { forwarded, duplicates, notForwarded: notForwarded.map((e) => e.messageId) },
      );
    },
  );
}

/** Claim, forward, mark done; or release the claim so that the retry goes through. */
async function deliverOnce({ log, dedupe, forwarder }: WebhookDeps, event: CtliveEvent): Promise<Outcome> {
  const { messageId } = event;
  const what = `${event.event} event for messageId [${messageId}]`;

  let claim: ClaimOutcome;
  try {
    claim = await dedupe.claim(event.event, messageId);
  } catch (error: unknown) {
    // Never forward without a claim: that is how a message would reach ctlive twice.
    log.error(`Could not claim the ${event.event} event in Redis, not forwarded`, {
      messageId,
      reason: reasonOf(error),
    });
    return 'redisFailed';
  }
  if (claim === 'done') {
    log.info(`Duplicate ${what}: already forwarded, skipped`, { messageId });
    return 'duplicate';
  }
  if (claim === 'inFlight') {
    log.warn(`The ${event.event} event is being forwarded by another request; answering 503 so that Infobip retries`, {
      messageId,
    });
    return 'inFlight';
  }

  try {
    await forwarder.forward(event);
  } catch (error: unknown) {
    log.error(`Forwarding the ${event.event} event to [${forwarder.target}] failed, claim released`, {
      messageId,
      reason: reasonOf(error),
    });
    await dedupe.release(event.event, messageId).catch((releaseError: unknown) => {
      log.error('Could not release the claim in Redis; a retry goes through once it expires', {
        messageId,
        reason: reasonOf(releaseError),
      });
    });
    return 'forwardFailed';
  }

  log.info(`Forwarded ${what} to [${forwarder.target}]`, { messageId });
  try {
    await dedupe.markDone(event.event, messageId);
  } catch (error: unknown) {
    // ctlive has it, so this is still a success; only a copy arriving after the claim
    // expires could be forwarded again.
    log.error('Forwarded, but could not mark it done in Redis', { messageId, reason: reasonOf(error) });
  }
  return 'forwarded';
}
