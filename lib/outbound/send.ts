import * as z from '../platform/schema';
import { randomUUID } from 'node:crypto';
import type { InfobipConfig, NotifyUrl } from '../platform/config';
import { AppError, ValidationError } from '../platform/errors';
import { accountScope } from '../platform/account';
import { TRANSPORTS, type TransportName } from '../platform/config';
import { infobipSettingsSchema, statusSchema, type InfobipClient, type OmniAccepted } from './infobip';
import type { MessageKind, MessageOf } from './message';
import { TRANSPORT, routeOf, type OmniMapping, type RouteMessage } from './transports';
import { omniText } from './transports/omni';
import type { TaggedLogger } from '../platform/log';
import type { HttpEvent, HttpResponse } from '../platform/http';
import {
  idempotencyKeyOf,
  idempotent,
  type Attempt,
  type InfobipLookup,
  type IdempotencyConfig,
  type IdempotencyStore,
} from './idempotency';
import { conversationKey, windowStateSchema } from '../conversation/window';
import { windowGuard, type ConversationWindowDeps, type MessageType, type WindowRead } from './windowGuard';

/**
 * A WhatsApp Business-Scoped User ID, for customers known by a username rather than a
 * number: `{CC}.{alphanumeric}`, at most 150 characters, sent as `to.whatsAppUserId`
 * (OMNI's `To` schema, api-evangelist/infobip openapi/infobip-omni-failover-openapi.json).
 */
const BSUID = /^[A-Z]{2}\.[A-Za-z0-9]{1,147}$/;
export const isBusinessScopedUserId = (to: string) => BSUID.test(to);

/** Fields every ctlive send carries (CONTRACT section 3), text or file. */
export const sendFields = {
  // E.164 numbers never start with 0, so a leading 00 is the international prefix: it is
  // dropped like a leading +, rather than sent to Infobip as part of the number.
  to: z.pipe(
    z
      .string()
      .check(
        z.trim(),
        z.regex(
          /^(?:(?:\+|00)?[1-9]\d{6,14}|[A-Z]{2}\.[A-Za-z0-9]{1,147})$/,
          "must be the customer's number with its country code (7 to 15 digits, optionally after a leading + or 00, no spaces) or their WhatsApp user ID (BSUID, like US.13491208655302741918)",
        ),
      ),
    z.transform((to: string) => (isBusinessScopedUserId(to) ? to : to.replace(/^(?:\+|00)/, ''))),
  ),
  infobip: z.optional(infobipSettingsSchema),
  callbackData: z.optional(z.string().check(z.maxLength(4000))),
  messageId: z.optional(
    z.string().check(z.minLength(1), z.maxLength(200), z.regex(/^[\x21-\x7e]+$/, 'must be printable ASCII without spaces')),
  ),
};

/**
 * `replyTo`: the WhatsApp id of the customer's message to quote, as ctlive received it in
 * the inbound event's `messageId`; it becomes the WhatsApp API's `context.replyToMessageId`
 * (`MessageContext`). Every free-form send takes it; a template cannot quote.
 */
export const freeFormFields = {
  ...sendFields,
  replyTo: z.optional(
    z
      .string()
      .check(
        z.minLength(1, "must not be empty: leave it out, or give the customer's message id"),
        z.maxLength(512, 'must be at most 512 characters'),
        z.regex(
          /^[\x21-\x7e]+$/,
          "must be the customer's message id as the inbound event gave it: printable ASCII without spaces",
        ),
      ),
  ),
};

export const sendCommonSchema = z.object(sendFields);
export type SendCommon = z.infer<typeof sendCommonSchema> & { replyTo?: string };

/** Validates a body against a schema; the failure lists each field and why. */
export function validate<S extends z.ZodMiniType>(schema: S, body: unknown): z.infer<S> {
  const parsed = schema.safeParse(body);
  if (!parsed.success) {
    throw new ValidationError(
      'Request body failed validation',
      parsed.error.issues.map((issue) => ({
        path: issue.path.join('.') || '(body)',
        message: issue.message,
      })),
    );
  }
  return parsed.data;
}

export interface OutboundDeps {
  infobip: InfobipClient;
  infobipConfig: InfobipConfig;
  /** Where each keyed send's claim and first answer live (lib/outbound/idempotency.ts). */
  idempotency: { store: IdempotencyStore; config: IdempotencyConfig; now?: () => number };
  /** Where Infobip posts this send's reports (`readNotifyUrl`), with a token bound to its messageId; none without a public URL. */
  notifyUrl?: NotifyUrl;
  log: TaggedLogger;
  /**
   * The 24-hour window (lib/outbound/windowGuard.ts): CONVERSATION_WINDOW_POLICY and the reader
   * of the conversation's record. Without it no window is read (as under `off`): every
   * production send function wires it.
   */
  conversationWindow?: ConversationWindowDeps;
}

export interface SentMessage extends OmniAccepted {
  to: string;
  /** The Infobip API that took the message. */
  transport: TransportName;
}

/**
 * Sends one message through the API `routeOf` chooses (lib/outbound/transports): the
 * transport builds the request and reads the answer; the runbook's lines, the metrics and
 * Infobip's refusals are the client's, the same for every API. `toOmni` is the message
 * kind's OMNI mapping (lib/outbound/transports/omni.ts), which the route hands over.
 */
export async function sendToInfobip<K extends MessageKind>(
  deps: OutboundDeps,
  common: SendCommon,
  message: MessageOf<K>,
  toOmni: OmniMapping<K>,
): Promise<SentMessage> {
  const route = routeOf(common, deps.infobipConfig, message.kind, toOmni);
  // The notifyUrl's token is bound to the messageId, so one is chosen here when the caller gave none.
  const messageId = common.messageId ?? (deps.notifyUrl === undefined ? undefined : randomUUID());
  const call = await TRANSPORT[route.transport].call(
    message,
    toOmni,
    {
      to: common.to,
      businessScoped: isBusinessScopedUserId(common.to),
      messageId,
      callbackData: common.callbackData,
      notifyUrl:
        deps.notifyUrl !== undefined && messageId !== undefined
          ? deps.notifyUrl(messageId, accountScope(route.settings.baseUrl, deps.infobipConfig.defaults.baseUrl))
          : undefined,
      replyTo: common.replyTo,
    },
    route.settings,
  );
  try {
    const accepted = await deps.infobip.send(route.settings, call, deps.log);
    deps.log.metrics.count('Sends', { outcome: 'SENT' });
    return { ...accepted, to: common.to, transport: route.transport };
  } catch (error: unknown) {
    countFailedSend(deps.log, error);
    if (error instanceof AppError) error.messageId ??= messageId;
    throw error;
  }
}

/** A send that did not go out, by the code of its answer (INFOBIP_ERROR, INFOBIP_TIMEOUT, …). */
export function countFailedSend(log: TaggedLogger, error: unknown): void {
  log.metrics.count('Sends', { outcome: error instanceof AppError ? error.code : 'INTERNAL_ERROR' });
}

export interface SendOnceOptions {
  /**
   * `template`: never refused by the 24-hour window (WhatsApp delivers templates outside
   * it); its answer still reports the window. Default `freeForm`: text, media, location,
   * contacts, answered by CONVERSATION_WINDOW_POLICY.
   */
  messageType?: MessageType;
  /**
   * The send's own first Redis call can carry the window's read when no claim does: it is
   * handed `windowRead` and must call its `deliver` with the ZSCORE reply (the media park).
   */
  foldsWindowRead?: boolean;
  /** Keys read in the claim's round trip, for `attempt.also` (a template's cached catalogue). */
  alsoRead?: readonly string[];
  /**
   * Runs when `enforce` refuses the send for a closed window, before the 422: what the
   * send would have left behind goes (an uploaded file's key and object). Must not throw.
   */
  onWindowRefused?: () => Promise<void>;
  /** What the route sends (default a text): it decides the transport, and so how an unknown outcome is looked up. */
  sends?: RouteMessage;
}

/** What `send` gets: the attempt, and for a `foldsWindowRead` send the read it should carry. */
export type SendAttempt = Attempt & { windowRead?: WindowRead };

/**
 * Runs a send under its Idempotency-Key (the header, else the body's messageId): at most
 * one message per key and body, the first answer replayed to every retry. `send` gets the
 * destination messageId to use (always one under a key). The conversation's 24-hour window
 * is read and applied here (lib/outbound/windowGuard.ts), so every send route gets it by coming
 * through this function; the answer carries `conversationWindow`.
 */
export function sendOnce(
  deps: OutboundDeps,
  event: HttpEvent,
  common: SendCommon,
  send: (attempt: SendAttempt) => Promise<HttpResponse>,
  options: SendOnceOptions = {},
): Promise<HttpResponse> {
  const window = deps.conversationWindow;
  const key = idempotencyKeyOf(event, common.messageId);
  // Chosen (and its settings checked) before anything is claimed or sent.
  const sends: RouteMessage = options.sends ?? { kind: 'text', toOmni: omniText };
  const route = routeOf(common, deps.infobipConfig, sends.kind, sends.toOmni as OmniMapping<MessageKind>);
  const { lookup } = TRANSPORT[route.transport];
  const idempotency = {
    ...deps.idempotency,
    log: deps.log,
    lookup: async (messageId: string): Promise<InfobipLookup> => {
      if (lookup !== undefined) return lookup(deps.infobip, route.settings, messageId, deps.log);
      deps.log.info(
        `Infobip's ${route.transport} API cannot be asked about message [${messageId}]: only a report can prove it was sent`,
        { messageId },
      );
      return { found: false };
    },
  };
  const request = {
    key,
    body: event.jsonBody,
    messageId: common.messageId,
    to: common.to,
    alsoRead: options.alsoRead,
    account: accountScope(route.settings.baseUrl, deps.infobipConfig.defaults.baseUrl),
  };
  // Should the outcome be unknown, the answer a retry resolves it to names the transport too.
  const sendVia = (attempt: SendAttempt) => {
    attempt.attach({ transport: route.transport });
    return send(attempt);
  };
  if (window === undefined || window.policy === 'off') return idempotent(idempotency, request, sendVia);
  // The business number: the request's, else the deployment's; without one the window is unknown.
  const windowKey = conversationKey(common.infobip?.sender ?? deps.infobipConfig.defaults.sender, common.to);
  const guard = windowGuard(window, deps.log, windowKey, {
    messageType: options.messageType ?? 'freeForm',
    foldsRead: options.foldsWindowRead === true,
    messageId: common.messageId,
    onRefused: options.onWindowRefused,
  });
  return idempotent({ ...idempotency, windowKey }, request, (attempt) => guard.run(attempt, sendVia));
}

/**
 * The 200 body of every send (CONTRACT section 3), for the OpenAPI description
 * (tools/openapi); `sentBody` is typed by it, so the two cannot drift apart.
 */
export const sentBodySchema = z.object({
  messageId: z.string(),
  to: z.string(),
  status: statusSchema,
  /** The Infobip API that took the message: `omni` or `whatsapp`. */
  transport: z.enum(TRANSPORTS),
  conversationWindow: z.optional(windowStateSchema),
});
export type SentBody = z.infer<typeof sentBodySchema>;

export const sentBody = (sent: SentMessage): SentBody => ({
  messageId: sent.messageId,
  to: sent.to,
  status: sent.status,
  transport: sent.transport,
});
