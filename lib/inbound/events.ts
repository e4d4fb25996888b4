import {
  inboundMessageSchema,
  isSeenReport,
  messageContentSchema,
  namedEntrySchema,
  reportSchema,
  type InboundMessageResult,
  type MessageContent,
  type RawResult,
} from './schemas';

/** The events ctlive receives (CONTRACT section 6), one per Infobip result. */

/** What one part of a message says: the whole message in the OMNI and WhatsApp API shapes, one `content[]` entry in the Messages API. */
export interface CtliveMessagePart {
  type?: string;
  text?: string;
  /**
   * A file; `caption` is the customer's caption (the Messages API sends it as the part's
   * `text`). Where the deployment copies inbound files, `url` is IMChannel's own route (ctlive's
   * bearer opens it), `downloadUrl` the same route signed for a browser, and `sourceUrl`
   * Infobip's URL, which needs the Infobip API key; elsewhere `url` is Infobip's.
   */
  media?: { url?: string; downloadUrl?: string; sourceUrl?: string; caption?: string };
  /** A shared location (type LOCATION); its `url` is a map or page link, never a file. */
  location?: { latitude?: number; longitude?: number; name?: string; address?: string; url?: string };
  /** Infobip flagged the file as infected (type INFECTED_CONTENT): it is never offered as media. */
  infected?: true;
  /** REACTION: the emoji, ADDED or REMOVED, and the id of the message reacted to (`context.id`). */
  reaction?: { emoji?: string; action?: string; messageId?: string };
  /** Shared contact cards (CONTACT's `contacts`), as Infobip sends them. */
  contacts?: Record<string, unknown>[];
  /**
   * The button or list row the customer tapped (INTERACTIVE_BUTTON_REPLY,
   * INTERACTIVE_LIST_REPLY, and BUTTON, a template's quick reply): `id` is the id ctlive
   * gave it (a quick reply's `payload`), so ctlive routes on it, never on the label.
   */
  reply?: { id: string; title: string; description?: string };
}

/** The first part's fields sit at the top, as they always did; `parts` lists every part when there are several. */
export interface CtliveMessageEvent extends CtliveMessagePart {
  event: 'message';
  /** The result's `integrationType` (OMNI) or `channel` (Messages API); WHATSAPP when it has neither. */
  channel: string;
  messageId: string;
  from?: string;
  to?: string;
  receivedAt?: string;
  contactName?: string;
  /** Every part in order (Messages API multi-file, multi-select, media + text), only when there are two or more. */
  parts?: CtliveMessagePart[];
  /** The message the customer replied to (`context`): its id and sender. */
  replyTo?: { messageId?: string; from?: string };
  /** The ad or post that started the conversation (`referral`), as Infobip sends it. */
  referral?: Record<string, unknown>;
  /** Who wrote: the phone number (may be absent for Meta-username users), the BSUID, the username. */
  identity?: { phoneNumber?: string; userId?: string; username?: string };
  raw: RawResult;
}

export interface CtliveDeliveryEvent {
  event: 'delivery';
  messageId: string;
  to?: string;
  status?: Record<string, unknown>;
  error?: Record<string, unknown>;
  doneAt?: string;
  callbackData?: string;
  raw: RawResult;
}

export interface CtliveSeenEvent {
  event: 'seen';
  messageId: string;
  from?: string;
  to?: string;
  seenAt?: string;
  /** What the send carried; the Messages API's seen reports have it (MessagesApiSeenResult). */
  callbackData?: string;
  raw: RawResult;
}

/**
 * The customer's WhatsApp identity changed (a new security code: a new phone or a reinstall).
 * Infobip's notification names the current identity only; there is no "old" one to report.
 */
export interface CtliveIdentityChangedEvent {
  event: 'identityChanged';
  channel: 'WHATSAPP';
  /** IMChannel's stable id for the notification (`<userNumber or userId>:<hash>`): the key of exactly-once. */
  messageId: string;
  /** The customer's phone number (`content.userNumber`). */
  from?: string;
  /** The business number that was notified (the notification's `from`). */
  to?: string;
  identity?: { phoneNumber?: string; userId?: string };
  /** The new identity's hash; later messages carry it as `raw.identity.hash`. */
  identityHash?: string;
  description?: string;
  /** The notification's `createdAt`. */
  changedAt?: string;
  raw: RawResult;
}

/** A customer's file is in IMChannel's bucket: what it is and where to open it. */
export interface CtliveMediaStoredEvent {
  event: 'mediaStored';
  /** The customer's message that carried the file. */
  messageId: string;
  from?: string;
  to?: string;
  media: {
    /** IMChannel's id of the file: the `{id}` of `url`. */
    id: string;
    url: string;
    downloadUrl: string;
    contentType: string;
    size: number;
    sha256: string;
    fileName?: string;
  };
}

/** A customer's file could not be copied, and never will be (lib/inboundMedia/copy.ts says why). */
export interface CtliveMediaFailedEvent {
  event: 'mediaFailed';
  messageId: string;
  from?: string;
  to?: string;
  media: { id?: string; sourceUrl: string };
  /** EXPIRED, TOO_LARGE, WRONG_TYPE, NO_SIZE, HOST_NOT_ALLOWED, NOT_INFOBIP_MEDIA_URL or UNAVAILABLE. */
  reason: string;
  /** What happened, in words. */
  description: string;
}

/** What a webhook result becomes. */
export type CtliveEvent = CtliveMessageEvent | CtliveDeliveryEvent | CtliveSeenEvent | CtliveIdentityChangedEvent;

/** Everything ctlive receives: the webhooks' events and the file copier's. */
export type ForwardedEvent = CtliveEvent | CtliveMediaStoredEvent | CtliveMediaFailedEvent;

/** "Fields that the result lacks are left out": no `undefined` keys, so no `null`s in JSON either. */
export function compact<T extends object>(event: T): T {
  return Object.fromEntries(Object.entries(event).filter(([, value]) => value !== undefined)) as T;
}

/** The message's parts: `message`, or every `content[]` entry that is an object (a string, null counts as missing). */
const partsOf = (result: InboundMessageResult): MessageContent[] =>
  result.message
    ? [result.message]
    : (result.content ?? []).flatMap((part) => {
        const parsed = messageContentSchema.safeParse(part);
        return parsed.success ? [parsed.data] : [];
      });

function contactNameOf(result: InboundMessageResult): string | undefined {
  if (result.contact?.name !== undefined) return result.contact.name;
  const first = namedEntrySchema.parse(result.contacts?.[0]);
  return first?.name ?? first?.profile?.name ?? result.contact?.profile?.name;
}

/**
 * Types whose `url` is not a file to download. Every LOCATION from Infobip carries a `url`
 * (a map or Facebook page link); taking it for media would have ctlive download a web page
 * with the Infobip API key. An INFECTED_CONTENT message's file must never be offered. A
 * Messages API URL part (MessagesApiMoEventUrlContent) is a link the customer shared.
 */
const NOT_MEDIA = new Set(['LOCATION', 'INFECTED_CONTENT', 'URL']);

/** The media types whose `text` is a caption (the Messages API's MessagesApiMoEvent<Type>Content "… caption"). */
const CAPTIONED = new Set(['IMAGE', 'AUDIO', 'VIDEO', 'DOCUMENT', 'FILE', 'VOICE', 'STICKER']);

export const nonEmpty = <T extends object>(value: T): T | undefined => (Object.keys(value).length > 0 ? value : undefined);

function toPart(message: MessageContent): CtliveMessagePart {
  const type = message.type?.toUpperCase() ?? '';
  const isMedia = message.url !== undefined && !NOT_MEDIA.has(type);
  const textIsCaption = isMedia && CAPTIONED.has(type);
  const caption = message.caption ?? (textIsCaption ? message.text : undefined);
  const contacts = message.contacts?.filter((card) => card !== undefined);
  return compact<CtliveMessagePart>({
    type: message.type,
    // A button or list reply has no text of its own: the title is what the customer tapped.
    text: textIsCaption ? undefined : (message.text ?? message.title ?? (type === 'URL' ? message.url : undefined)),
    media: isMedia ? compact({ url: message.url, caption }) : undefined,
    location:
      type === 'LOCATION'
        ? compact({
            latitude: message.latitude,
            longitude: message.longitude,
            name: message.name,
            address: message.address,
            url: message.url,
          })
        : undefined,
    infected: type === 'INFECTED_CONTENT' ? true : undefined,
    reaction:
      type === 'REACTION' ? compact({ emoji: message.emoji, action: message.action, messageId: message.context?.id }) : undefined,
    contacts: contacts && contacts.length > 0 ? contacts : undefined,
    reply: replyOf(type, message),
  });
}

/** The tapped choice: `{id, title, description?}` from a reply's `id`/`title`, a quick reply's `payload`/`text`. */
function replyOf(type: string, message: MessageContent): CtliveMessagePart['reply'] {
  const [id, title] =
    type === 'BUTTON'
      ? [message.payload, message.text]
      : type === 'INTERACTIVE_BUTTON_REPLY' || type === 'INTERACTIVE_LIST_REPLY'
        ? [message.id, message.title]
        : [];
  if (id === undefined || title === undefined) return undefined;
  const description = type === 'INTERACTIVE_LIST_REPLY' && message.description ? message.description : undefined;
  return compact({ id, title, description });
}

export function toMessageEvent(raw: RawResult): CtliveMessageEvent {
  const result = inboundMessageSchema.parse(raw);
  const messages = partsOf(result);
  const message = messages[0];
  const context = message?.type?.toUpperCase() === 'REACTION' ? undefined : message?.context;
  const identity = result.contact
    ? nonEmpty(
        compact({ phoneNumber: result.contact.phoneNumber, userId: result.contact.userId, username: result.contact.username }),
      )
    : undefined;
  return compact<CtliveMessageEvent>({
    event: 'message',
    channel: (result.integrationType ?? result.channel ?? 'WHATSAPP').toUpperCase(),
    messageId: result.messageId,
    from: result.from ?? result.sender,
    to: result.to ?? result.destination,
    receivedAt: result.receivedAt,
    contactName: contactNameOf(result),
    ...(message ? toPart(message) : {}),
    parts: messages.length > 1 ? messages.map(toPart) : undefined,
    replyTo: context ? nonEmpty(compact({ messageId: context.id, from: context.from })) : undefined,
    referral: message?.referral,
    identity,
    raw,
  });
}

export function toReportEvent(raw: RawResult): CtliveDeliveryEvent | CtliveSeenEvent {
  const report = reportSchema.parse(raw);
  if (isSeenReport(report)) {
    return compact<CtliveSeenEvent>({
      event: 'seen',
      messageId: report.messageId,
      from: report.from ?? report.sender,
      to: report.to ?? report.destination,
      seenAt: report.seenAt,
      callbackData: report.callbackData,
      raw,
    });
  }
  return compact<CtliveDeliveryEvent>({
    event: 'delivery',
    messageId: report.messageId,
    to: report.to ?? report.destination,
    status: report.status,
    error: report.error,
    doneAt: report.doneAt,
    callbackData: report.callbackData,
    raw,
  });
}
