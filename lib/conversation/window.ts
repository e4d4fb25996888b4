import * as z from '../platform/schema';
import { redisKeys } from '../platform/redis';

/**
 * WhatsApp's customer service window (docs/api.md, "The 24-hour window"): free-form
 * messages reach a customer only within 24 hours of the customer's last message; after
 * that only an approved template does. Infobip's WhatsApp API says so of every free-form
 * send ("can only be successfully delivered if the recipient has contacted the business
 * within the last 24 hours, otherwise template message should be used":
 * api-evangelist/infobip, openapi/infobip-whatsapp-openapi.json, the interactive sends).
 *
 * One Redis key per conversation (business number and customer) holds the time of the
 * customer's last message as the score of a one-member sorted set, so `ZADD … GT` keeps
 * the latest whatever order the webhooks arrive in, without Lua. onMessage writes it in
 * the claim pipeline it already sends (lib/inbound/dedupe.ts); a send reads it with ZSCORE
 * in the claim pipeline of its Idempotency-Key (lib/outbound/idempotency.ts) or next to its
 * first Redis call.
 */

/** WhatsApp's rule, not a setting. */
export const WINDOW_MS = 24 * 60 * 60 * 1000;

/** The sorted set's one member; its score is the customer's last message, in ms since the epoch. */
export const LAST_MESSAGE_MEMBER = 'lastMessage';

export type { WindowPolicy } from '../platform/config';

/** Why a send's window is not known (the response's `conversationWindow.reason`). */
export type WindowUnknownReason =
  /** No message from this customer to this business number on record (never, or not in the last CONVERSATION_RECORD_TTL_SECONDS). */
  | 'NO_RECORD'
  /** Neither the request's infobip.sender nor INFOBIP_SENDER names the business number. */
  | 'NO_SENDER'
  /** Redis could not be read (unkeyed sends only: a keyed send without Redis is not sent at all). */
  | 'UNAVAILABLE';

/**
 * A send's `conversationWindow` (docs/api.md, "The 24-hour window"): open until `closesAt`,
 * closed since `closedAt`, or not known (`open: null` and why). Absent under `off`.
 */
export const windowStateSchema = z.union([
  z.object({ open: z.literal(true), closesAt: z.string() }),
  z.object({ open: z.literal(false), closedAt: z.string() }),
  z.object({ open: z.null(), reason: z.enum(['NO_RECORD', 'NO_SENDER', 'UNAVAILABLE']) }),
]);
export type WindowState = z.infer<typeof windowStateSchema>;

/** What the read of the key gave: its ZSCORE reply, or why there was none. */
export type WindowRecord = string | number | null | { unknown: WindowUnknownReason };

/**
 * A conversation party as a key part: a number without its + or 00 (as the sends and the
 * webhooks write it), or a WhatsApp user ID (BSUID); anything else is no party.
 */
export function conversationParty(value: string | undefined): string | undefined {
  if (value === undefined) return undefined;
  const trimmed = value.trim();
  if (/^(?:\+|00)?[1-9]\d{6,14}$/.test(trimmed)) return trimmed.replace(/^(?:\+|00)/, '');
  return /^[A-Z]{2}\.[A-Za-z0-9]{1,147}$/.test(trimmed) ? trimmed : undefined;
}

/** The conversation's key, or undefined when either side is not a number or user ID. */
export function conversationKey(businessNumber: string | undefined, customer: string | undefined): string | undefined {
  const business = conversationParty(businessNumber);
  const party = conversationParty(customer);
  return business === undefined || party === undefined ? undefined : redisKeys.conversation(business, party);
}

/**
 * Infobip's `receivedAt` ("yyyy-MM-dd'T'HH:mm:ss.SSSZ", e.g. 2025-02-27T15:44:57.000+0000,
 * openapi/infobip-whatsapp-openapi.json, InboundMessage) in ms, or undefined when it is
 * not such a time. Parsed here rather than by Date.parse, which does not promise the
 * `+0000` offset form.
 */
export function parseReceivedAt(value: string | undefined): number | undefined {
  if (value === undefined) return undefined;
  const match = /^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2}):(\d{2})(?:\.(\d{1,9}))?(Z|[+-]\d{2}:?\d{2})$/.exec(value.trim());
  if (match === null) return undefined;
  const [, y, mo, d, h, mi, s, fraction = '', zone = 'Z'] = match;
  const [year, month, day, hour, minute, second] = [y, mo, d, h, mi, s].map(Number) as [
    number,
    number,
    number,
    number,
    number,
    number,
  ];
  if (month < 1 || month > 12 || day < 1 || day > 31 || hour > 23 || minute > 59 || second > 60) return undefined;
  const ms = Number(fraction.padEnd(3, '0').slice(0, 3));
  let offsetMinutes = 0;
  if (zone !== 'Z') {
    const digits = zone.replace(':', '');
    const sign = digits.startsWith('-') ? -1 : 1;
    offsetMinutes = sign * (Number(digits.slice(1, 3)) * 60 + Number(digits.slice(3, 5)));
  }
  const at = Date.UTC(year, month - 1, day, hour, minute, second, ms) - offsetMinutes * 60_000;
  // Date.UTC rolls 31 February over into March: such a date is no date.
  if (new Date(at + offsetMinutes * 60_000).getUTCDate() !== day) return undefined;
  return Number.isFinite(at) ? at : undefined;
}

/** One customer's message for the record: the conversation key and when Infobip received it. */
export interface ConversationTouch {
  key: string;
  at: number;
}

/** The inbound results that open a window: customers' messages with both parties and a receivedAt. */
export function conversationTouches(
  events: readonly { event: string; from?: string; to?: string; receivedAt?: string }[],
): ConversationTouch[] {
  const latest = new Map<string, number>();
  for (const event of events) {
    // Reports, seen marks and identity notices are not the customer writing; typing
    // indicators never become events (lib/inbound/notifications.ts).
    if (event.event !== 'message') continue;
    const key = conversationKey(event.to, event.from);
    const at = parseReceivedAt(event.receivedAt);
    if (key === undefined || at === undefined) continue;
    latest.set(key, Math.max(at, latest.get(key) ?? at));
  }
  return [...latest].map(([key, at]) => ({ key, at }));
}

/** The window as a send reports it, from its record and IMChannel's clock. */
export function windowState(record: WindowRecord, now: number): WindowState {
  if (record !== null && typeof record === 'object') return { open: null, reason: record.unknown };
  const last = record === null ? NaN : Number(record);
  if (!Number.isFinite(last)) return { open: null, reason: 'NO_RECORD' };
  const closes = new Date(last + WINDOW_MS).toISOString();
  return now < last + WINDOW_MS ? { open: true, closesAt: closes } : { open: false, closedAt: closes };
}
