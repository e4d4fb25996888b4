import { createHmac } from 'node:crypto';

/**
 * The token of one message's `notifyUrl`: an HMAC-SHA-256 of its messageId under
 * `INFOBIP_REPORT_TOKEN`, base64url (43 characters). It proves that IMChannel sent this
 * message, and nothing else: whoever reads one notifyUrl can post reports of that message
 * alone, never another message's report nor a customer message (docs/api.md, "Webhook auth").
 * A message of another Infobip account than the deployment's own (`account`, the URL's
 * `?account=`) has the account in the MAC too, so the URL's account cannot be changed: its
 * reports are keyed under that account and can settle no other account's message. The
 * labels keep the MAC apart from any other use of the same secret, and from each other (no
 * host holds a line break, so the account ends at the first).
 */
export function reportTokenFor(secret: string, messageId: string, account?: string): string {
  const label =
    account === undefined ? `IMChannel report of ${messageId}` : `IMChannel report in account ${account}\n${messageId}`;
  return createHmac('sha256', secret).update(label).digest('base64url');
}

/** The shape of a bound token: anything else fails before a MAC is computed. */
export const BOUND_TOKEN_PATTERN = /^[A-Za-z0-9_-]{43}$/;
