import { createHmac } from 'node:crypto';

/**
 * The token of one message's `notifyUrl`: an HMAC-SHA-256 of its messageId under
 * `INFOBIP_REPORT_TOKEN`, base64url (43 characters). It proves that IMChannel sent this
 * message, and nothing else: whoever reads one notifyUrl can post reports of that message
 * alone, never another message's report nor a customer message (docs/api.md, "Webhook auth").
 * The label keeps the MAC apart from any other use of the same secret.
 */
export function reportTokenFor(secret: string, messageId: string): string {
  return createHmac('sha256', secret).update(`IMChannel report of ${messageId}`).digest('base64url');
}

/** The shape of a bound token: anything else fails before a MAC is computed. */
export const BOUND_TOKEN_PATTERN = /^[A-Za-z0-9_-]{43}$/;
