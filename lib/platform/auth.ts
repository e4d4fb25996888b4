import { createHash, timingSafeEqual } from 'node:crypto';
import { URL_TOKEN_PARAMETER, type WebhookAuthConfig } from './config';
import { UnauthorizedError } from './errors';

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

/** What a webhook request brings that can authenticate it. */
export interface WebhookCredentials {
  headers: Headers;
  /** The query string's parameters, as API Gateway parsed them. */
  query?: Record<string, string | undefined> | null;
}

/**
 * Infobip's webhook credentials (docs/api.md, "Webhook auth"). Two ways in, either is
 * enough: the credentials of Infobip's webhook settings or Subscriptions profile (HTTP
 * Basic and/or a static header: each one configured must match, as before), or the URL's
 * own token (the `notifyUrl` of each send, to which Infobip sends no credentials; the
 * previous token too, during a rotation). Nothing configured means no check; the config
 * only allows that outside production. Every configured comparison always runs, so timing
 * does not tell which one failed; the reason names each failure, never a value.
 */
export function checkWebhookAuth({ headers, query }: WebhookCredentials, auth: WebhookAuthConfig): void {
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
    const given = query?.[URL_TOKEN_PARAMETER] ?? '';
    const current = safeEqual(given, auth.token.current);
    const previous = auth.token.previous !== undefined && safeEqual(given, auth.token.previous);
    if (current || previous) return;
    failed.push(given === '' ? `no ${URL_TOKEN_PARAMETER} in the URL` : `the URL's ${URL_TOKEN_PARAMETER} does not match`);
  }
  if (!headerAuthPassed && failed.length > 0) throw new UnauthorizedError(failed.join(', '));
}
