import type { Redis } from '@upstash/redis';
import { AppError, reasonOf } from '../platform/errors';
import type { HttpResponse } from '../platform/http';
import type { TaggedLogger } from '../platform/log';
import { LAST_MESSAGE_MEMBER, windowState, type WindowPolicy, type WindowRecord, type WindowState } from '../conversation/window';
import type { Attempt } from './idempotency';

/**
 * The 24-hour window on the way out (docs/api.md, "The 24-hour window"). Every send that
 * goes through `sendOnce` reads the conversation's record:
 *
 * - a keyed send: in the claim pipeline of its Idempotency-Key, its first Redis call
 *   anyway (no extra round trip);
 * - an unkeyed media send under `warn`: in the pipeline that parks its file (none extra);
 * - an unkeyed send otherwise: one ZSCORE of its own. Under `warn` it runs while Infobip is
 *   called (one more Redis request, no added latency); under `enforce` before (one round
 *   trip of latency, the price of refusing before anything is sent).
 *
 * `CONVERSATION_WINDOW_POLICY` then says what a closed window does to a free-form send;
 * a template (`messageType: 'template'`) is never refused, its answer only reports the state.
 */

export interface ConversationWindowDeps {
  policy: WindowPolicy;
  /** ZSCORE of the conversation's key. */
  read(key: string): Promise<string | number | null>;
  now?: () => number;
}

export function createConversationReader(redis: Redis): ConversationWindowDeps['read'] {
  return (key) => redis.zscore(key, LAST_MESSAGE_MEMBER) as Promise<string | number | null>;
}

/** `messageType` of `sendOnce`: a template goes out whatever the window. */
export type MessageType = 'freeForm' | 'template';

/**
 * Refused before Infobip was called (`enforce`): WhatsApp would not deliver it. 422 and not
 * retryable: the same request fails until the customer writes again; a template goes out.
 */
export class ConversationWindowClosedError extends AppError {
  constructor(closedAt: string) {
    super(
      422,
      'CONVERSATION_WINDOW_CLOSED',
      `The customer's 24-hour conversation window closed at ${closedAt} (24 hours after their last message): ` +
        'WhatsApp delivers only an approved template now; send one with POST /imchannel/sendWhatsAppTemplateMessage, ' +
        'and free-form messages can follow once the customer replies',
      { conversationWindow: { open: false, closedAt } },
    );
  }
}

/** Where a send's own first Redis call may carry the window's read (the media park). */
export interface WindowRead {
  key: string;
  /** The ZSCORE reply, once that call is answered. */
  deliver(record: WindowRecord): void;
}

export interface WindowGuard {
  /** Runs one attempt of the send under the window: refuses it, or sends and reports the state. */
  run(attempt: Attempt, send: (attempt: Attempt & { windowRead?: WindowRead }) => Promise<HttpResponse>): Promise<HttpResponse>;
}

/**
 * `key`: the conversation (undefined when the business number is not known: the state is
 * then unknown, `NO_SENDER`). `foldsRead`: the send's first Redis call can carry the read.
 */
export function windowGuard(
  deps: ConversationWindowDeps,
  log: TaggedLogger,
  key: string | undefined,
  options: {
    messageType: MessageType;
    foldsRead: boolean;
    messageId: string | undefined;
    /** Cleans up after a refusal (SendOnceOptions.onWindowRefused). */
    onRefused?: () => Promise<void>;
  },
): WindowGuard {
  const now = deps.now ?? Date.now;
  const freeForm = options.messageType === 'freeForm';
  const enforcing = deps.policy === 'enforce' && freeForm;
  const readNow = (windowKey: string): Promise<WindowRecord> =>
    deps.read(windowKey).catch((error: unknown): WindowRecord => {
      log.warn("Could not read the conversation's 24-hour window from Redis; its state is unknown", {
        messageId: options.messageId,
        reason: reasonOf(error),
      });
      return { unknown: 'UNAVAILABLE' };
    });
  return {
    async run(attempt, send) {
      let windowRead: WindowRead | undefined;
      let record: Promise<WindowRecord>;
      if (key === undefined) record = Promise.resolve({ unknown: 'NO_SENDER' });
      else if (attempt.window !== undefined) record = Promise.resolve(attempt.window);
      else if (options.foldsRead && !enforcing) {
        let deliver: (value: WindowRecord) => void = () => undefined;
        record = new Promise<WindowRecord>((resolve) => (deliver = resolve));
        windowRead = { key, deliver };
      } else record = readNow(key);

      let state: WindowState | undefined;
      // Known before sending unless it is being read alongside the send (unkeyed, warn).
      if (enforcing || attempt.window !== undefined || key === undefined) {
        state = windowState(await record, now());
        if (state.open === false && enforcing) {
          log.metrics.count('ClosedWindowSends', { outcome: 'REFUSED' });
          await options.onRefused?.();
          throw new ConversationWindowClosedError(state.closedAt);
        }
        // Should the outcome be unknown, the answer a retry resolves carries it too.
        attempt.attach({ conversationWindow: state });
      }
      const response = await send(windowRead === undefined ? attempt : { ...attempt, windowRead });
      if (windowRead !== undefined) {
        // A send that never made its Redis call (or a store that cannot carry the read) leaves it unknown.
        windowRead.deliver({ unknown: 'UNAVAILABLE' });
      }
      state ??= windowState(await record, now());
      if (state.open === false && freeForm) {
        log.metrics.count('ClosedWindowSends', { outcome: 'SENT' });
        log.warn(
          `Sent outside the customer's 24-hour window (closed at ${state.closedAt}): WhatsApp will not deliver it; ` +
            'send a template instead (CONVERSATION_WINDOW_POLICY=enforce refuses such sends)',
          { messageId: attempt.messageId },
        );
      }
      return withWindow(response, state);
    },
  };
}

/** The 200 body with `conversationWindow` added; any other answer as it is. */
function withWindow(response: HttpResponse, state: WindowState): HttpResponse {
  if (response.statusCode !== 200 || typeof response.body !== 'string') return response;
  const body = JSON.parse(response.body) as Record<string, unknown>;
  return { ...response, body: JSON.stringify({ ...body, conversationWindow: state }) };
}
