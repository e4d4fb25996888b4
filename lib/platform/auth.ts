import { createHash, timingSafeEqual } from 'node:crypto';
import type { WebhookAuthConfig } from './config';
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

/**
 * Infobip's webhook credentials (CONTRACT section 5): each configured method must pass.
 * Nothing configured means no check; the config only allows that outside production.
 */
export function checkWebhookAuth(headers: Headers, auth: WebhookAuthConfig): void {
  const failed: string[] = [];
  if (auth.basic) {
    const match = /^Basic[ ]+([A-Za-z0-9+/=]+)\s*$/i.exec(headers.authorization ?? '');
    const given = match?.[1] ? Buffer.from(match[1], 'base64').toString('utf8') : '';
    const expected = `${auth.basic.username}:${auth.basic.password}`;
    // No early return: both checks always run, so timing does not tell which one failed.
    if (!safeEqual(given, expected)) failed.push(match ? 'Basic credentials do not match' : 'no Basic credentials');
  }
  if (auth.header) {
    const given = headers[auth.header.name];
    if (!safeEqual(given ?? '', auth.header.value)) {
      failed.push(given === undefined ? `no ${auth.header.name} header` : `the ${auth.header.name} header does not match`);
    }
  }
  if (failed.length > 0) throw new UnauthorizedError(failed.join(', '));
}
