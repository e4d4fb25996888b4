/**
 * Bodies in the shapes Infobip sends and answers with (see test/fixtures/infobip).
 * Kept apart from the server so `npm run simulate` and tests can build webhooks
 * without starting anything.
 */
import { randomUUID } from 'node:crypto';
import { DELIVERED, STATUS, type Outcome } from './codes';
import type { OmniAdvancedRequest, OmniDestination, ValidationErrors } from './validate';

/** The address a report's `to` carries: the phone number, or the Business-Scoped User ID. */
export const addressOf = (to: OmniDestination['to']): string => ('phoneNumber' in to ? to.phoneNumber : to.whatsAppUserId);

/** Infobip writes timestamps as `2025-02-27T15:44:57.000+0000`, not ISO's `Z`. */
export function infobipTime(date: Date = new Date()): string {
  return date.toISOString().replace('Z', '+0000');
}

const ERROR_TEXTS: Record<number, [messageId: string, text: string]> = {
  400: ['BAD_REQUEST', 'Bad request'],
  401: ['UNAUTHORIZED', 'Invalid login details'],
  403: ['FORBIDDEN', 'Forbidden'],
  404: ['NOT_FOUND', 'Not found'],
  413: ['PAYLOAD_TOO_LARGE', 'Request entity too large'],
  415: ['UNSUPPORTED_MEDIA_TYPE', 'Unsupported media type'],
  429: ['TOO_MANY_REQUESTS', 'Too many requests'],
  500: ['GENERAL_ERROR', 'Something went wrong. Please contact support.'],
  502: ['BAD_GATEWAY', 'Bad gateway'],
  503: ['SERVICE_UNAVAILABLE', 'Service unavailable'],
  504: ['GATEWAY_TIMEOUT', 'Gateway timeout'],
};

export function infobipErrorBody(status: number, text?: string, validationErrors?: ValidationErrors): unknown {
  const [messageId, defaultText] = ERROR_TEXTS[status] ?? (status >= 500 ? ERROR_TEXTS[500]! : ERROR_TEXTS[400]!);
  return {
    requestError: {
      serviceException: {
        messageId,
        text: text ?? defaultText,
        ...(validationErrors ? { validationErrors } : {}),
      },
    },
  };
}

export interface SentMessage {
  to: OmniDestination['to'];
  status: typeof STATUS.PENDING_ENROUTE;
  messageId: string;
}

export function sendResponse(request: OmniAdvancedRequest): { bulkId?: string; messages: SentMessage[] } {
  const messages = request.destinations.map((d) => ({
    to: { ...d.to },
    status: { ...STATUS.PENDING_ENROUTE },
    messageId: d.messageId ?? randomUUID(),
  }));
  return request.bulkId === undefined ? { messages } : { bulkId: request.bulkId, messages };
}

export interface DeliveryResultOptions {
  messageId: string;
  /** The customer's number or Business-Scoped User ID. */
  to: string;
  bulkId?: string;
  callbackData?: string;
  sentAt: Date;
  doneAt?: Date;
  outcome?: Outcome;
}

/**
 * One result of a delivery report, in the shape of OMNI's `DeliveryReport` schema and its
 * "Delivery reports" webhook example (api-evangelist/infobip,
 * openapi/infobip-omni-failover-openapi.json). The schema's `contact` "exists in case of
 * WhatsApp Message", so it is here, with the customer's number.
 */
export function deliveryResult(opts: DeliveryResultOptions): Record<string, unknown> {
  const { status, error } = opts.outcome ?? DELIVERED;
  return {
    bulkId: opts.bulkId ?? null,
    messageId: opts.messageId,
    to: opts.to,
    sentAt: infobipTime(opts.sentAt),
    doneAt: infobipTime(opts.doneAt),
    messageCount: 1,
    price: { pricePerMessage: 0, currency: 'EUR' },
    status: { ...status },
    error: { ...error },
    channel: 'WHATSAPP',
    ...(opts.callbackData === undefined ? {} : { callbackData: opts.callbackData }),
    contact: /^\d+$/.test(opts.to) ? { phoneNumber: opts.to } : { userId: opts.to },
  };
}

export interface InboundMessageOptions {
  /** Infobip message type, e.g. TEXT, IMAGE, LOCATION; unknown types are passed through. */
  type?: string;
  text?: string;
  from?: string;
  to?: string;
  messageId?: string;
  contactName?: string;
  /**
   * Merged over the result. A `message` object in it is merged over the generated
   * message instead, so one field can be changed without restating the rest.
   */
  extra?: Record<string, unknown>;
}

const MEDIA_BASE = 'https://api.infobip.com/whatsapp/1/senders';

function inboundMessage(type: string, text: string | undefined, to: string): Record<string, unknown> {
  const mediaUrl = `${MEDIA_BASE}/${to}/media/${randomUUID()}`;
  const caption = text === undefined ? {} : { caption: text };
  switch (type) {
    case 'TEXT':
      return { type, text: text ?? 'Hello' };
    case 'IMAGE':
    case 'DOCUMENT':
    case 'VIDEO':
      return { type, url: mediaUrl, ...caption };
    case 'AUDIO':
    case 'VOICE':
    case 'STICKER':
      return { type, url: mediaUrl };
    case 'LOCATION':
      // Every official LOCATION carries a `url`: a map or page link, never a file.
      return {
        type,
        longitude: 12.4924,
        latitude: 41.8902,
        name: text ?? 'Colosseum',
        address: 'Piazza del Colosseo, 1, Rome',
        url: 'https://maps.google.com/?q=41.8902,12.4924',
      };
    case 'CONTACT':
      return {
        type,
        contacts: [
          {
            name: { firstName: 'Mario', lastName: 'Rossi', formattedName: 'Mario Rossi' },
            phones: [{ phone: '+39 333 1234567', type: 'CELL', waId: '393331234567' }],
          },
        ],
      };
    case 'BUTTON':
      return { type, text: text ?? 'Yes', payload: 'YES_PAYLOAD' };
    case 'INTERACTIVE_BUTTON_REPLY':
      return { type, id: 'button-1', title: text ?? 'Yes' };
    case 'INTERACTIVE_LIST_REPLY':
      return { type, id: 'row-1', title: text ?? 'Option 1', description: 'First option' };
    case 'ORDER':
      return {
        type,
        catalogId: '1234567890',
        text: text ?? 'Order note',
        productItems: [{ productRetailerId: 'SKU-1', quantity: 2, itemPrice: 9.99, currency: 'EUR' }],
      };
    case 'INTERACTIVE_PAYMENT_CONFIRMATION':
      return {
        type,
        referenceId: 'order-1',
        paymentId: 'payment-1',
        status: 'SUCCESS',
        currency: 'INR',
        totalAmount: { value: 12500, offset: 100 },
        transactionId: 'txn-1',
        transactionType: 'UPI',
      };
    case 'REACTION':
      // WhatsApp's `WhatsAppInboundReactionContent` (openapi/infobip-whatsapp-openapi.json):
      // the reacted-to message is `context.id`; OMNI's own type list has no REACTION.
      return { type, emoji: text ?? '\u{1F44D}', action: 'ADDED', context: { id: randomUUID() } };
    case 'UNSUPPORTED':
      return { type };
    default:
      // Types Infobip adds later must still be forwarded, so they get a minimal body.
      return text === undefined ? { type } : { type, text };
  }
}

export function inboundMessagePayload(opts: InboundMessageOptions): {
  results: unknown[];
  messageCount: number;
  pendingMessageCount: number;
} {
  const type = opts.type ?? 'TEXT';
  const to = opts.to ?? '44123456789';
  const { message: extraMessage, ...extraResult } = opts.extra ?? {};
  const generated = inboundMessage(type, opts.text, to);
  const message =
    typeof extraMessage === 'object' && extraMessage !== null && !Array.isArray(extraMessage)
      ? { ...generated, ...extraMessage }
      : extraMessage === undefined
        ? generated
        : extraMessage;
  return {
    results: [
      {
        from: opts.from ?? '39123456789',
        to,
        integrationType: 'WHATSAPP',
        receivedAt: infobipTime(),
        messageId: opts.messageId ?? `wamid.${randomUUID().replace(/-/g, '').toUpperCase()}`,
        pairedMessageId: null,
        callbackData: null,
        message,
        contact: { name: opts.contactName ?? 'Username1' },
        price: { pricePerMessage: 0, currency: 'EUR' },
        ...extraResult,
      },
    ],
    messageCount: 1,
    pendingMessageCount: 0,
  };
}

/**
 * A seen report, in OMNI's `SeenReport` shape (api-evangelist/infobip,
 * openapi/infobip-omni-failover-openapi.json, schema SeenReport and the "Seen reports"
 * example): `sendAt`, not `sentAt`, and the WhatsApp `contact`. It says which outbound
 * message was read, so it goes to notifyUrl's route.
 */
export function seenReportPayload(opts: { messageId: string; from?: string; to?: string }): unknown {
  const seenAt = new Date();
  const sendAt = new Date(seenAt.getTime() - 60_000);
  const to = opts.to ?? '39123456789';
  return {
    results: [
      {
        messageId: opts.messageId,
        from: opts.from ?? '44123456789',
        to,
        sendAt: infobipTime(sendAt),
        seenAt: infobipTime(seenAt),
        contact: { phoneNumber: to },
      },
    ],
  };
}

/** A button or list row of an interactive message, as the sandbox remembers it (GET /sandbox/messages/{id}). */
export interface TappedChoice {
  id: string;
  title: string;
  description?: string;
}

/**
 * What a customer's tap on an interactive message sends: WhatsAppInboundButtonReplyContent or
 * WhatsAppInboundListReplyContent (`id`, `title`, a row's `description`), with the `context`
 * (`from`: the business number, `id`: the interactive message) that names what was tapped
 * (Infobip's published OpenAPI specification v3.210.0, `infobip-whatsapp-openapi.json`).
 */
export function interactiveReplyPayload(opts: {
  kind: 'buttons' | 'list';
  choice: TappedChoice;
  /** The interactive message's id and its sender (the business number). */
  repliedTo: { messageId: string; from: string };
  /** The customer. */
  from: string;
  messageId?: string;
}): ReturnType<typeof inboundMessagePayload> {
  const type = opts.kind === 'buttons' ? 'INTERACTIVE_BUTTON_REPLY' : 'INTERACTIVE_LIST_REPLY';
  const payload = inboundMessagePayload({ type, from: opts.from, to: opts.repliedTo.from, messageId: opts.messageId });
  const result = payload.results[0] as Record<string, unknown>;
  result.message = {
    type,
    id: opts.choice.id,
    title: opts.choice.title,
    ...(opts.kind === 'list' && opts.choice.description ? { description: opts.choice.description } : {}),
    context: { from: opts.repliedTo.from, id: opts.repliedTo.messageId },
  };
  return payload;
}
