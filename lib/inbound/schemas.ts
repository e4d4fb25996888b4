import * as z from '../platform/schema';
import { ValidationError } from '../platform/errors';

/**
 * Schemas for what Infobip posts to the webhooks (CONTRACT section 5).
 *
 * Only the envelope is strict: a body without a `results` array of objects that each carry
 * a `messageId` is not an Infobip webhook, and gets 400. Everything inside a result is
 * read leniently: a field that is missing, null or of an unexpected type is simply left
 * out of the ctlive event, because dropping a customer's message over a field nobody
 * needs is worse than forwarding it with less detail (`raw` always carries all of it).
 */

/** The message types Infobip documents today; any other `type` is forwarded as received. */
export const KNOWN_MESSAGE_TYPES = [
  'TEXT',
  'IMAGE',
  'DOCUMENT',
  'AUDIO',
  'VOICE',
  'VIDEO',
  'STICKER',
  'LOCATION',
  'INFECTED_CONTENT',
  'CONTACT',
  'BUTTON',
  'INTERACTIVE_BUTTON_REPLY',
  'INTERACTIVE_LIST_REPLY',
  'ORDER',
  'REACTION',
  'UNSUPPORTED',
] as const;

export type RawResult = Record<string, unknown>;

const resultEnvelope = z.looseObject(
  {
    messageId: z
      .string({ error: "must be a string (Infobip's messageId)" })
      .check(z.minLength(1, "must not be empty (Infobip's messageId)")),
  },
  { error: 'must be an object' },
);

const payloadEnvelope = z.looseObject(
  { results: z.array(resultEnvelope, { error: 'must be an array of results' }) },
  { error: 'must be a JSON object with a "results" array' },
);

const NO_RESULTS_HINT =
  ' (the bodies Infobip documents without "results" are WhatsApp notifications such as the identity change:' +
  ' {"from", "content": {"type": "user_identity_changed", …}, "createdAt"})';

/**
 * The results of a webhook body, exactly as received, so `raw` is what Infobip sent
 * and not what a schema made of it. Throws a 400 naming the first problems.
 */
export function parseWebhookResults(body: unknown): RawResult[] {
  const parsed = payloadEnvelope.safeParse(body);
  if (!parsed.success) {
    const issues = parsed.error.issues.map((issue) => ({
      path: issue.path.join('.') || '(body)',
      message: issue.message,
    }));
    const hint = issues.some((issue) => issue.path === 'results') ? NO_RESULTS_HINT : '';
    const summary = issues
      .slice(0, 3)
      .map((issue) => `${issue.path} ${issue.message}`)
      .join('; ');
    throw new ValidationError(`Not an Infobip webhook payload: ${summary}${hint}`, issues.slice(0, 20));
  }
  // The envelope check proved each element is an object; hand back the originals.
  return (body as { results: RawResult[] }).results;
}

/** A field of the wrong type counts as missing instead of failing the whole result. */
const lenient = <T extends z.ZodMiniType>(schema: T) => z.catch(z.optional(schema), undefined);
const optionalString = lenient(z.string());
const optionalObject = lenient(z.record(z.string(), z.unknown()));

/** The `message` of the OMNI/WhatsApp API shape, or one part of the Messages API `content`. */
export const messageContentSchema = z.looseObject({
  type: optionalString,
  text: optionalString,
  /** Button and list replies: the option the customer picked. */
  title: optionalString,
  /**
   * INTERACTIVE_BUTTON_REPLY (`id` ≤256) and INTERACTIVE_LIST_REPLY (`id` ≤200, `description`
   * ≤72): the id the business gave the button or row (WhatsAppInboundButtonReplyContent,
   * WhatsAppInboundListReplyContent). BUTTON, a template's quick reply, carries it as
   * `payload` (≤128, WhatsAppInboundQuickReplyContent).
   */
  id: optionalString,
  description: optionalString,
  payload: optionalString,
  url: optionalString,
  caption: optionalString,
  /** LOCATION (WhatsAppInboundLocationContent). */
  latitude: lenient(z.number()),
  longitude: lenient(z.number()),
  name: optionalString,
  address: optionalString,
  /** REACTION (WhatsAppInboundReactionContent): ADDED or REMOVED. */
  emoji: optionalString,
  action: optionalString,
  /** The message the customer replied or reacted to. */
  context: lenient(z.looseObject({ id: optionalString, from: optionalString })),
  referral: optionalObject,
  /** INFECTED_CONTENT (WhatsAppInboundInfectedContent): Infobip's finding. */
  malware: optionalString,
  /** CONTACT: the shared cards; an entry that is not an object is left out. */
  contacts: lenient(z.array(optionalObject)),
});

export type MessageContent = z.infer<typeof messageContentSchema>;

const namedSchema = z.looseObject({
  name: optionalString,
  profile: lenient(z.looseObject({ name: optionalString })),
  /** WhatsApp API `contact` (WhatsAppInboundContactProfile): absent for some Meta-username users. */
  phoneNumber: optionalString,
  /** Meta's Business-Scoped User ID (BSUID). */
  userId: optionalString,
  username: optionalString,
});

/**
 * An inbound message result. Infobip's OMNI and WhatsApp API webhooks send `from`, `to`,
 * `message` and `contact: {name}`; the newer Messages API sends `sender`, `destination`
 * and a `content` array, and some integrations a WhatsApp-style `contacts[]` instead of
 * `contact`. Each is read when present.
 */
export const inboundMessageSchema = z.looseObject({
  messageId: z.string(),
  /** Messages API only (MessagesApiInboundEventType): MO, TYPING_STARTED or TYPING_STOPPED. */
  event: optionalString,
  from: optionalString,
  sender: optionalString,
  to: optionalString,
  destination: optionalString,
  receivedAt: optionalString,
  /** OMNI's result names its channel (WHATSAPP, VIBER, FACEBOOK…); the Messages API `channel`. */
  integrationType: optionalString,
  channel: optionalString,
  message: lenient(messageContentSchema),
  content: lenient(z.array(z.unknown())),
  contact: lenient(namedSchema),
  contacts: lenient(z.array(z.unknown())),
});
export type InboundMessageResult = z.infer<typeof inboundMessageSchema>;

export const namedEntrySchema = lenient(namedSchema);

/** A delivery report (`status`, `error`, `doneAt`) or a seen report (`seenAt`). */
export const reportSchema = z.looseObject({
  messageId: z.string(),
  from: optionalString,
  sender: optionalString,
  to: optionalString,
  destination: optionalString,
  status: optionalObject,
  error: optionalObject,
  doneAt: optionalString,
  callbackData: optionalString,
  seenAt: optionalString,
});
export type ReportResult = z.infer<typeof reportSchema>;

/** Seen reports carry `seenAt` and no delivery `status`; everything else is a delivery report. */
export const isSeenReport = (report: ReportResult): boolean => report.seenAt !== undefined && report.status === undefined;

/** Messages API typing indicators (MessagesApiInboundTypingStartedEvent / …StoppedEvent): not messages. */
export const TYPING_EVENTS = new Set(['TYPING_STARTED', 'TYPING_STOPPED']);

/**
 * WhatsApp notifications without `results` (api-evangelist/infobip,
 * openapi/infobip-whatsapp-openapi.json, webhooks): each is `{from, content, createdAt}`
 * with `from` the business's registered sender. Only the identity change is forwarded;
 * the others are recognised so that a misrouted one is acknowledged, not retried forever.
 */
const notificationEnvelope = z.looseObject({
  from: optionalString,
  createdAt: optionalString,
  content: z.looseObject({ type: optionalString }),
});

/** `whatsappSystemReportsSystemEventResponse`: the customer's identity (security code) changed. */
export const identityChangeSchema = z.looseObject({
  from: optionalString,
  createdAt: optionalString,
  content: z.looseObject({
    type: z.literal('user_identity_changed'),
    description: optionalString,
    /** The new identity's hash, as in a later message's `identity.hash`. */
    hash: optionalString,
    userNumber: optionalString,
    /** Meta's Business-Scoped User ID (BSUID). */
    userId: optionalString,
  }),
});
export type IdentityChange = z.infer<typeof identityChangeSchema>;

/** The other documented notifications, by the field that tells each apart; acknowledged, not forwarded. */
const OTHER_NOTIFICATIONS: [string, (body: z.infer<typeof notificationEnvelope>) => boolean][] = [
  // PaymentNotificationResponse: content.type "payment".
  ['payment notification', (body) => body.content.type === 'payment'],
  // MarketingUpdateNotificationResponse: content.notificationMessagesStatus stop|resume.
  ['marketing-preference notification', (body) => 'notificationMessagesStatus' in body.content],
];

/** TemplateUpdatePushEvent (a Subscriptions event): a template's status, category or quality changed. */
const templateUpdateSchema = z.looseObject({ messageTemplateId: z.string(), change: z.looseObject({ type: z.string() }) });

export type WebhookBody =
  | { kind: 'results'; results: RawResult[] }
  | { kind: 'identityChange'; notification: IdentityChange; raw: RawResult }
  | { kind: 'notForwarded'; what: string };

/**
 * Every body Infobip documents for these webhooks, told apart: `results` (messages and
 * reports), the identity-change notification, and the notifications IMChannel does not
 * forward. Anything else gets the 400 of `parseWebhookResults`.
 */
export function parseWebhookBody(body: unknown): WebhookBody {
  const isObject = typeof body === 'object' && body !== null && !Array.isArray(body);
  if (isObject && !('results' in body)) {
    const identity = identityChangeSchema.safeParse(body);
    if (identity.success) return { kind: 'identityChange', notification: identity.data, raw: body as RawResult };
    const notification = notificationEnvelope.safeParse(body);
    const other = notification.success ? OTHER_NOTIFICATIONS.find(([, matches]) => matches(notification.data)) : undefined;
    if (other) return { kind: 'notForwarded', what: `WhatsApp ${other[0]}` };
    if (templateUpdateSchema.safeParse(body).success) return { kind: 'notForwarded', what: 'WhatsApp template update event' };
  }
  return { kind: 'results', results: parseWebhookResults(body) };
}
