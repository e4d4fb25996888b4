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
  channel: 'WHATSAPP';
  messageId: string;
  from?: string;
  to?: string;
  receivedAt?: string;
  contactName?: string;
  type?: string;
  text?: string;
  media?: { url?: string; caption?: string };
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

export function toMessageEvent(raw: RawResult): CtliveMessageEvent {
  const result = inboundMessageSchema.parse(raw);
  const message = result.message ?? firstContent(result);
  const media =
    message?.url === undefined ? undefined : compact({ url: message.url, caption: message.caption });
  return compact<CtliveMessageEvent>({
    event: 'message',
    channel: 'WHATSAPP',
    messageId: result.messageId,
    from: result.from ?? result.sender,
    to: result.to ?? result.destination,
    receivedAt: result.receivedAt,
    contactName: contactNameOf(result),
    type: message?.type,
    // A button or list reply has no text of its own: the title is what the customer tapped.
    text: message?.text ?? message?.title,
    media,
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
