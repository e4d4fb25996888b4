import { createHmac, timingSafeEqual } from 'node:crypto';
import { hostAllowed, schemeAllowed } from '../platform/allowedHosts';
import type { InboundMediaConfig } from '../platform/config';

/**
 * A customer's file as IMChannel names it. Infobip gives each inbound file a URL on the
 * account's host, `https://<account>.api.infobip.com/whatsapp/1/senders/{sender}/media/{mediaId}`
 * (Infobip's published OpenAPI specification (v3.210.0), infobip-whatsapp-openapi.json,
 * download-whatsapp-inbound-media), which opens only with the API key. IMChannel's id of the
 * file is that URL in base64url: the object's key and the route's `{id}` follow from it, so a
 * retried or duplicated copy lands on the same object, and the route needs no lookup to know
 * where the file came from. The URL is checked again wherever the id is read back.
 */

/** Infobip's inbound media path: the business number and the media id, nothing else. */
const MEDIA_PATH = /^\/whatsapp\/1\/senders\/([0-9]{1,24})\/media\/([A-Za-z0-9._~=-]{1,200})$/;
/** Longest id accepted back from a route: a URL of an allowed host and the path above fits in it. */
export const INBOUND_ID_MAX_CHARS = 800;

export interface InboundSource {
  /** IMChannel's id: Infobip's URL, base64url. */
  id: string;
  url: URL;
  sender: string;
  mediaId: string;
}

export type SourceRefusal = 'NOT_INFOBIP_MEDIA_URL' | 'HOST_NOT_ALLOWED';

/** The file at `raw`, when it is Infobip's inbound media URL on a host the API key may go to. */
export function sourceOf(raw: string, allowedHosts: readonly string[]): InboundSource | SourceRefusal {
  if (raw.length > 600 || !URL.canParse(raw)) return 'NOT_INFOBIP_MEDIA_URL';
  const url = new URL(raw);
  const path = MEDIA_PATH.exec(url.pathname);
  if (path === null || url.search !== '' || url.hash !== '' || url.username !== '' || url.password !== '') {
    return 'NOT_INFOBIP_MEDIA_URL';
  }
  // The key goes with the first GET: a host off the allowlist (a forged webhook's) never gets it.
  if (!hostAllowed(url.hostname, allowedHosts) || !schemeAllowed(url)) return 'HOST_NOT_ALLOWED';
  return { id: Buffer.from(url.href).toString('base64url'), url, sender: path[1] as string, mediaId: path[2] as string };
}

/** The id read back from a route or a copy request: undefined unless it names an allowed Infobip URL. */
export function sourceOfId(id: string, allowedHosts: readonly string[]): InboundSource | undefined {
  if (id.length === 0 || id.length > INBOUND_ID_MAX_CHARS || !/^[A-Za-z0-9_-]+$/.test(id)) return undefined;
  const source = sourceOf(Buffer.from(id, 'base64url').toString('utf8'), allowedHosts);
  return typeof source === 'string' || source.id !== id ? undefined : source;
}

/** Where the copy lives; its own prefix, so the retention rule and the IAM policy name it alone. */
export const INBOUND_PREFIX = 'inbound/';
export const inboundObjectKey = (id: string) => `${INBOUND_PREFIX}${id}`;
/** A copy being written; moved under the final key only once whole and checked. */
export const PARTIAL_PREFIX = 'inbound-partial/';

/** The MAC of a download link: the id and the second it stops working, under the link secret. */
function signatureOf(secret: string, id: string, expires: number): string {
  return createHmac('sha256', secret).update(`IMChannel inbound media ${id} until ${expires}`).digest('base64url');
}

export interface InboundLinks {
  /** IMChannel's route: ctlive's bearer token opens it. */
  url: string;
  /** The same route, signed until it expires: a browser opens it without credentials. */
  downloadUrl: string;
}

export function linksOf(config: InboundMediaConfig, id: string, now = Date.now()): InboundLinks {
  const url = `${config.publicUrl}/inboundMedia/${id}`;
  const expires = Math.floor(now / 1000) + config.linkTtlSeconds;
  return { url, downloadUrl: `${url}?expires=${expires}&signature=${signatureOf(config.linkSecret, id, expires)}` };
}

export type LinkCheck = 'valid' | 'expired' | 'invalid';

export function checkLink(
  config: InboundMediaConfig,
  id: string,
  expiresRaw: string,
  signature: string,
  now = Date.now(),
): LinkCheck {
  if (!/^\d{1,12}$/.test(expiresRaw) || !/^[A-Za-z0-9_-]{43}$/.test(signature)) return 'invalid';
  const expires = Number(expiresRaw);
  const expected = Buffer.from(signatureOf(config.linkSecret, id, expires));
  if (!timingSafeEqual(expected, Buffer.from(signature))) return 'invalid';
  return expires * 1000 < now ? 'expired' : 'valid';
}
