import * as z from '../platform/schema';
import type {
  CtliveDeliveryEvent,
  ForwardedEvent,
  CtliveIdentityChangedEvent,
  CtliveMediaFailedEvent,
  CtliveMediaStoredEvent,
  CtliveMessageEvent,
  CtliveMessagePart,
  CtliveSeenEvent,
} from './events';

/**
 * The events ctlive receives (CONTRACT section 6) as zod schemas: the source of
 * docs/ctlive-events.schema.json (tools/openapi) and the check of the local ctlive sink.
 * The webhooks never import this module, so their bundles do not carry it; the
 * interfaces in events.ts stay what the code builds, and the type checks at the end of
 * this file fail the build when the two disagree.
 */

const optionalString = z.optional(z.string());
const messageId = z.string().check(z.minLength(1));
/** The Infobip result exactly as received. */
const raw = z.record(z.string(), z.unknown());
const object = z.record(z.string(), z.unknown());

/** One part of a message; the message event carries its first part's fields at the top. */
const partFields = {
  type: optionalString,
  text: optionalString,
  /**
   * A file; `caption` is the customer's caption, never in `text`. Where inbound files are
   * copied: `url` is IMChannel's route (ctlive's bearer), `downloadUrl` the same route signed
   * for a browser, `sourceUrl` Infobip's URL (needs the Infobip API key).
   */
  media: z.optional(
    z.object({ url: optionalString, downloadUrl: optionalString, sourceUrl: optionalString, caption: optionalString }),
  ),
  /** A shared location (type LOCATION); its `url` is a map or page link, never a file. */
  location: z.optional(
    z.object({
      latitude: z.optional(z.number()),
      longitude: z.optional(z.number()),
      name: optionalString,
      address: optionalString,
      url: optionalString,
    }),
  ),
  /** Infobip flagged the file as infected (type INFECTED_CONTENT): never offered as media. */
  infected: z.optional(z.literal(true)),
  /** REACTION: the emoji, ADDED or REMOVED, and the id of the message reacted to. */
  reaction: z.optional(z.object({ emoji: optionalString, action: optionalString, messageId: optionalString })),
  /** Shared contact cards (CONTACT), as Infobip sends them. */
  contacts: z.optional(z.array(object)),
  /**
   * The button or list row the customer tapped (INTERACTIVE_BUTTON_REPLY,
   * INTERACTIVE_LIST_REPLY; BUTTON, a template's quick reply, whose `payload` is the id and
   * `text` the title). Route on `id`, the id the business gave the choice, not on the title.
   */
  reply: z.optional(z.object({ id: z.string(), title: z.string(), description: optionalString })),
};

export const ctliveMessagePartSchema = z.object(partFields);

export const ctliveMessageEventSchema = z.object({
  event: z.literal('message'),
  /** `integrationType` (OMNI) or `channel` (Messages API) of the result; WHATSAPP when it has neither. */
  channel: z.string(),
  messageId,
  from: optionalString,
  to: optionalString,
  receivedAt: optionalString,
  contactName: optionalString,
  ...partFields,
  /**
   * Every part in order, only when the message has two or more (Messages API `content[]`:
   * several files, several list options, media with text); the top-level fields are the first.
   */
  parts: z.optional(z.array(ctliveMessagePartSchema).check(z.minLength(2))),
  /** The message the customer replied to (Infobip's `context`). */
  replyTo: z.optional(z.object({ messageId: optionalString, from: optionalString })),
  /** The ad or post that started the conversation, as Infobip sends it. */
  referral: z.optional(object),
  /** Who wrote; the phone number may be absent for users with a Meta username. */
  identity: z.optional(z.object({ phoneNumber: optionalString, userId: optionalString, username: optionalString })),
  raw,
});

export const ctliveDeliveryEventSchema = z.object({
  event: z.literal('delivery'),
  messageId,
  to: optionalString,
  status: z.optional(object),
  error: z.optional(object),
  doneAt: optionalString,
  callbackData: optionalString,
  raw,
});

export const ctliveSeenEventSchema = z.object({
  event: z.literal('seen'),
  messageId,
  from: optionalString,
  to: optionalString,
  seenAt: optionalString,
  /** What the send carried, when the report has it (the Messages API's seen reports do). */
  callbackData: optionalString,
  raw,
});

/** WhatsApp's identity-change notification (whatsappSystemReportsSystemEventResponse). */
export const ctliveIdentityChangedEventSchema = z.object({
  event: z.literal('identityChanged'),
  channel: z.literal('WHATSAPP'),
  /** IMChannel's stable id for the notification (`<userNumber or userId>:<hash>`); exactly-once is keyed on it. */
  messageId,
  /** The customer's phone number. */
  from: optionalString,
  /** The business number that was notified. */
  to: optionalString,
  identity: z.optional(z.object({ phoneNumber: optionalString, userId: optionalString })),
  /** The new identity's hash; later messages carry it in `raw.identity.hash`. No previous identity is sent by Infobip. */
  identityHash: optionalString,
  description: optionalString,
  /** When the change happened (the notification's `createdAt`). */
  changedAt: optionalString,
  raw,
});

/** A customer's file is in IMChannel's bucket; sent once per file, after its message event. */
export const ctliveMediaStoredEventSchema = z.object({
  event: z.literal('mediaStored'),
  /** The customer's message that carried the file. */
  messageId,
  from: optionalString,
  to: optionalString,
  media: z.object({
    /** IMChannel's id of the file, the `{id}` of `url`. */
    id: z.string(),
    /** GET with ctlive's bearer token. */
    url: z.string(),
    /** Opens without credentials until it expires (INBOUND_MEDIA_LINK_TTL_SECONDS). */
    downloadUrl: z.string(),
    contentType: z.string(),
    size: z.number(),
    /** Hex SHA-256 of the stored bytes. */
    sha256: z.string(),
    fileName: optionalString,
  }),
});

/** A customer's file could not be copied and never will be; sent once per file instead of mediaStored. */
export const ctliveMediaFailedEventSchema = z.object({
  event: z.literal('mediaFailed'),
  messageId,
  from: optionalString,
  to: optionalString,
  media: z.object({ id: optionalString, sourceUrl: z.string() }),
  /** EXPIRED, TOO_LARGE, WRONG_TYPE, NO_SIZE, HOST_NOT_ALLOWED, NOT_INFOBIP_MEDIA_URL or UNAVAILABLE (every run failed). */
  reason: z.string(),
  description: z.string(),
});

export const ctliveEventSchema = z.discriminatedUnion('event', [
  ctliveMessageEventSchema,
  ctliveDeliveryEventSchema,
  ctliveSeenEventSchema,
  ctliveIdentityChangedEventSchema,
  ctliveMediaStoredEventSchema,
  ctliveMediaFailedEventSchema,
]);

/** Each assignable to the other, and the same keys (mutual assignability alone lets an optional key through). */
type Same<A, B> = [A] extends [B]
  ? [B] extends [A]
    ? [keyof A] extends [keyof B]
      ? [keyof B] extends [keyof A]
        ? true
        : false
      : false
    : false
  : false;
const agree = <T extends true>(value: T) => value;
agree<Same<z.infer<typeof ctliveMessageEventSchema>, CtliveMessageEvent>>(true);
agree<Same<z.infer<typeof ctliveDeliveryEventSchema>, CtliveDeliveryEvent>>(true);
agree<Same<z.infer<typeof ctliveSeenEventSchema>, CtliveSeenEvent>>(true);
agree<Same<z.infer<typeof ctliveIdentityChangedEventSchema>, CtliveIdentityChangedEvent>>(true);
agree<Same<z.infer<typeof ctliveMediaStoredEventSchema>, CtliveMediaStoredEvent>>(true);
agree<Same<z.infer<typeof ctliveMediaFailedEventSchema>, CtliveMediaFailedEvent>>(true);
agree<Same<z.infer<typeof ctliveMessagePartSchema>, CtliveMessagePart>>(true);
agree<Same<z.infer<typeof ctliveEventSchema>, ForwardedEvent>>(true);
