import { createHash, timingSafeEqual } from 'node:crypto';
import { URL_TOKEN_PARAMETER, type WebhookAuthConfig } from './config';
import { BOUND_TOKEN_PATTERN, reportTokenFor } from './reportToken';
import { UnauthorizedError } from './errors';
import { ACCOUNT_PARAMETER } from './account';

type Headers = Record<string, string | undefined>;

/** Equal-length digests, so neither the content nor the length of the secret leaks through timing. */
function safeEqual(given: string, expected: string): boolean {
  const a = createHash('sha256').update(given).digest();
  const b = createHash('sha256').update(expected).digest();
  return timingSafeEqual(a, b);
}

/** ctlive's `Authorization: Bearer <token>` (CONTRACT section 3). Headers are lower-cased by the stack. */
export function checkBearer(headers: Headers, token: string): void {
  const header = headers.authorization;
  if (header === undefined || header.trim() === '') throw new UnauthorizedError('no Authorization header');
  const match = /^Bearer[ ]+(\S+)\s*$/i.exec(header);
  if (!match?.[1]) throw new UnauthorizedError('the Authorization header is not "Bearer <token>"');
  if (!safeEqual(match[1], token)) throw new UnauthorizedError('the bearer token is not CTLIVE_API_TOKEN');
}

/** What a webhook request brings that can authenticate it. */
export interface WebhookCredentials {
  headers: Headers;
  /** The query string's parameters, as API Gateway parsed them. */
  query?: Record<string, string | undefined> | null;
}

/**
 * What a URL token let in when no header credential did: the results of one message only.
 * The webhook checks it against every result once the body is read.
 */
export type MessageBinding = (messageId: string) => boolean;

/**
 * Infobip's webhook credentials (docs/api.md, "Webhook auth"). Two ways in: the credentials
 * of Infobip's webhook settings or Subscriptions profile (HTTP Basic and/or a static header:
 * each one configured must match), or, on onDeliveryReport (`acceptsBoundToken`), the
 * notifyUrl's token, an HMAC of the message's id and of the URL's account, if it names one
 * (lib/platform/reportToken.ts): then the answer is a `MessageBinding` and only that
 * message's reports get in. The secret itself
 * is taken as the token only where `unboundTokenUntil` allows (onMessage opted in, old
 * notifyUrls after the upgrade). Nothing configured means no check; the config only allows
 * that outside production. Every configured comparison always runs, so timing does not tell
 * which one failed; the reason names each failure, never a value.
 */
export function checkWebhookAuth(
  { headers, query }: WebhookCredentials,
  auth: WebhookAuthConfig,
  { acceptsBoundToken = false, now = Date.now() }: { acceptsBoundToken?: boolean; now?: number } = {},
): MessageBinding | undefined {
  const failed: string[] = [];
  if (auth.basic) {
    const match = /^Basic[ ]+([A-Za-z0-9+/=]+)\s*$/i.exec(headers.authorization ?? '');
    const given = match?.[1] ? Buffer.from(match[1], 'base64').toString('utf8') : '';
    if (!safeEqual(given, `${auth.basic.username}:${auth.basic.password}`)) {
      failed.push(match ? 'Basic credentials do not match' : 'no Basic credentials');
    }
  }
  if (auth.header) {
    const given = headers[auth.header.name];
    if (!safeEqual(given ?? '', auth.header.value)) {
      failed.push(given === undefined ? `no ${auth.header.name} header` : `the ${auth.header.name} header does not match`);
    }
  }
  const headerAuthPassed = (auth.basic !== undefined || auth.header !== undefined) && failed.length === 0;
  if (auth.token) {
    const { current, previous } = auth.token;
    const given = query?.[URL_TOKEN_PARAMETER] ?? '';
    const unboundOpen = auth.unboundTokenUntil !== undefined && now < auth.unboundTokenUntil;
    const unbound = safeEqual(given, current) || (previous !== undefined && safeEqual(given, previous));
    if (headerAuthPassed) return undefined;
    if (unbound && unboundOpen) return undefined;
    if (acceptsBoundToken && BOUND_TOKEN_PATTERN.test(given)) {
      // The URL's account as written: the token is bound to it, so it cannot be swapped.
      const account = query?.[ACCOUNT_PARAMETER];
      return (messageId) =>
        safeEqual(given, reportTokenFor(current, messageId, account)) ||
        (previous !== undefined && safeEqual(given, reportTokenFor(previous, messageId, account)));
    }
    failed.push(
      given === ''
        ? `no ${URL_TOKEN_PARAMETER} in the URL`
        : unbound
          ? `the URL's ${URL_TOKEN_PARAMETER} is the bare secret, which ${acceptsBoundToken ? 'is no longer taken here' : 'this route does not take'}`
          : `the URL's ${URL_TOKEN_PARAMETER} does not match`,
    );
  }
  if (!headerAuthPassed && failed.length > 0) throw new UnauthorizedError(failed.join(', '));
  return undefined;
}

/** A URL token let in only the results of its own message: every result must be one of them. */
export function checkBinding(binding: MessageBinding, messageIds: readonly string[]): void {
  if (messageIds.length === 0) throw new UnauthorizedError("the URL's token is a message's, and the body has no result");
  if (!messageIds.every((id) => binding(id))) throw new UnauthorizedError("the URL's token is not the reported message's");
}
