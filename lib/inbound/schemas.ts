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
    const summary = issues
      .slice(0, 3)
      .map((issue) => `${issue.path} ${issue.message}`)
      .join('; ');
    throw new ValidationError(`Not an Infobip webhook payload: ${summary}`, issues.slice(0, 20));
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
  /** CONTACT: the shared cards; an entry that is not an object is left out. */
  contacts: lenient(z.array(optionalObject)),
});

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
