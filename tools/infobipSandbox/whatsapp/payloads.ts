/**
 * The WhatsApp API's answers and reports, in the shapes of Infobip's published OpenAPI
 * specification (v3.210.0), `infobip-whatsapp-openapi.json`.
 */
import { randomUUID } from 'node:crypto';
import { STATUS, type Outcome } from '../codes';
import { infobipTime } from '../payloads';

/** `SingleMessageInfo`: the answer to one send, and each of `BulkMessageInfo.messages`. */
export function singleMessageInfo(to: string, messageId: string | undefined) {
  return { to, messageCount: 1, messageId: messageId || randomUUID(), status: { ...STATUS.PENDING_ENROUTE } };
}

export type SingleMessageInfo = ReturnType<typeof singleMessageInfo>;

/**
 * One `DeliveryReport` (= `Report`) of a `DeliveryResult`. The schema declares `bulkId`,
 * `messageId`, `to`, `sentAt`, `doneAt`, `messageCount`, `price`, `status`, `error` and
 * `contact`, and nothing else: no `callbackData` and no `channel`, unlike OMNI's report.
 * Its `status` points at a template-status enum (`Status`: APPROVED, …), a defect its own
 * webhook example contradicts with the usual status object
 * (`{id, groupId, groupName, name, description}`), which is what is sent here. `bulkId` is a
 * string, so it is left out rather than null when the send had none.
 */
export function whatsAppDeliveryReport(opts: {
  messageId: string;
  to: string;
  bulkId?: string;
  sentAt: Date;
  doneAt: Date;
  outcome: Outcome;
}): Record<string, unknown> {
  return {
    ...(opts.bulkId === undefined ? {} : { bulkId: opts.bulkId }),
    price: { pricePerMessage: 0, currency: 'EUR' },
    status: { ...opts.outcome.status },
    error: { ...opts.outcome.error },
    messageId: opts.messageId,
    doneAt: infobipTime(opts.doneAt),
    messageCount: 1,
    sentAt: infobipTime(opts.sentAt),
    to: opts.to,
    // `DlrContact`: the phone number, or the Business-Scoped User ID.
    contact: /^\d+$/.test(opts.to) ? { phoneNumber: opts.to } : { userId: opts.to },
  };
}

/** `ApiError`, the error body of `POST /whatsapp/1/events` (the spec's "Bad request" example). */
export function apiError(status: 400 | 401, violations: { property: string; violation: string }[] = []) {
  return status === 401
    ? {
        errorCode: 'E401',
        description: 'The request lacks valid authentication credentials for the requested resource.',
        action: 'Check the resources and adjust authentication credentials.',
        violations: [],
        resources: [],
      }
    : {
        errorCode: 'E400',
        description: 'Request cannot be processed.',
        action: 'Check the syntax, violations and adjust the request.',
        violations,
        resources: [],
      };
}

/**
 * `MessageResponseMessageResponseDetails` of the events answer: the spec's example gives
 * PENDING_ACCEPTED (id 26) for a typing indicator.
 */
export function eventAccepted(destination: string) {
  return {
    messageId: randomUUID(),
    status: { groupId: 1, groupName: 'PENDING', id: 26, name: 'PENDING_ACCEPTED', description: 'Message sent to next instance' },
    destination,
  };
}
