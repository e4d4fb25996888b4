import {
  inboundMessageSchema,
  isSeenReport,
  messageContentSchema,
  namedEntrySchema,
  reportSchema,
  type InboundMessageResult,
  type RawResult,
} from './schemas';

/** The events ctlive receives (CONTRACT section 6), one per Infobip result. */

export interface CtliveMessageEvent {
  event: 'message';
  /** The result's `integrationType` (OMNI) or `channel` (Messages API); WHATSAPP when it has neither. */
  channel: string;
  messageId: string;
  from?: string;
  to?: string;
  receivedAt?: string;
  contactName?: string;
  type?: string;
  text?: string;
  media?: { url?: string; caption?: string };
  /** A shared location (type LOCATION); its `url` is a map or page link, never a file. */
  location?: { latitude?: number; longitude?: number; name?: string; address?: string; url?: string };
  /** Infobip flagged the file as infected (type INFECTED_CONTENT): it is never offered as media. */
  infected?: true;
  /** REACTION: the emoji, ADDED or REMOVED, and the id of the message reacted to (`context.id`). */
  reaction?: { emoji?: string; action?: string; messageId?: string };
  /** The message the customer replied to (`context`): its id and sender. */
  replyTo?: { messageId?: string; from?: string };
  /** The ad or post that started the conversation (`referral`), as Infobip sends it. */
  referral?: Record<string, unknown>;
  /** Shared contact cards (CONTACT's `contacts`), as Infobip sends them. */
  contacts?: Record<string, unknown>[];
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
  raw: RawResult;
}

export type CtliveEvent = CtliveMessageEvent | CtliveDeliveryEvent | CtliveSeenEvent;

/** "Fields that the result lacks are left out": no `undefined` keys, so no `null`s in JSON either. */
function compact<T extends object>(event: T): T {
  return Object.fromEntries(Object.entries(event).filter(([, value]) => value !== undefined)) as T;
}

/** A first part that is not an object (a string, null) counts as missing, like any other odd field. */
const firstContent = (result: InboundMessageResult) => {
  const part = messageContentSchema.safeParse(result.content?.[0]);
  return part.success ? part.data : undefined;
};

function contactNameOf(result: InboundMessageResult): string | undefined {
  if (result.contact?.name !== undefined) return result.contact.name;
  const first = namedEntrySchema.parse(result.contacts?.[0]);
  return first?.name ?? first?.profile?.name ?? result.contact?.profile?.name;
}

/**
 * Types whose `url` is not a file to download. Every LOCATION from Infobip carries a `url`
 * (a map or Facebook page link); taking it for media would have ctlive download a web page
 * with the Infobip API key. An INFECTED_CONTENT message's file must never be offered.
 */
const NOT_MEDIA = new Set(['LOCATION', 'INFECTED_CONTENT']);

const nonEmpty = <T extends object>(value: T): T | undefined => (Object.keys(value).length > 0 ? value : undefined);

export function toMessageEvent(raw: RawResult): CtliveMessageEvent {
  const result = inboundMessageSchema.parse(raw);
  const message = result.message ?? firstContent(result);
  const type = message?.type?.toUpperCase();
  const media =
    message?.url === undefined || NOT_MEDIA.has(type ?? '') ? undefined : compact({ url: message.url, caption: message.caption });
  const location =
    type === 'LOCATION' && message
      ? compact({
          latitude: message.latitude,
          longitude: message.longitude,
          name: message.name,
          address: message.address,
          url: message.url,
        })
      : undefined;
  const context = message?.context;
  const contacts = message?.contacts?.filter((card) => card !== undefined);
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
    type: message?.type,
    // A button or list reply has no text of its own: the title is what the customer tapped.
    text: message?.text ?? message?.title,
    media,
    location,
    infected: type === 'INFECTED_CONTENT' ? true : undefined,
    reaction:
      type === 'REACTION' && message
        ? compact({ emoji: message.emoji, action: message.action, messageId: context?.id })
        : undefined,
    replyTo: type !== 'REACTION' && context ? nonEmpty(compact({ messageId: context.id, from: context.from })) : undefined,
    referral: message?.referral,
    contacts: contacts && contacts.length > 0 ? contacts : undefined,
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
