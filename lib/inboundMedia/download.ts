import { INFOBIP_MEDIA_LIMITS } from '../platform/config';
import { schemeAllowed } from '../platform/allowedHosts';
import { deadline } from '../platform/deadline';
import { retryAfterSeconds } from '../platform/retryAfter';
import type { InboundSource } from './reference';
import type { DownloadLimiter } from './rate';

/**
 * One download of a customer's file from Infobip (download-whatsapp-inbound-media in
 * Infobip's published OpenAPI specification (v3.210.0), infobip-whatsapp-openapi.json): 200
 * with the bytes, or a 302 to a copy on a CDN, or 404 once the file is missing or expired.
 * The API key goes only to the source, whose host was checked against INFOBIP_ALLOWED_HOSTS
 * (lib/inboundMedia/reference.ts); a redirect is followed once, to https only, without it.
 */

/** What cannot be copied, ever: the copier says so to ctlive once (mediaFailed). */
export type PermanentReason =
  | 'EXPIRED'
  | 'TOO_LARGE'
  | 'WRONG_TYPE'
  | 'NO_SIZE'
  | 'HOST_NOT_ALLOWED'
  | 'NOT_INFOBIP_MEDIA_URL'
  /** Every run of the copy failed for reasons that might have passed (Infobip or S3 down). */
  | 'UNAVAILABLE';

export class PermanentCopyFailure extends Error {
  constructor(
    readonly reason: PermanentReason,
    message: string,
  ) {
    super(message);
    this.name = 'PermanentCopyFailure';
  }
}

/** Worth trying again later: Infobip throttled, failed or was unreachable, S3 or Redis failed. */
export class TransientCopyFailure extends Error {
  constructor(
    message: string,
    /** Infobip's `Retry-After`, when it said one. */
    readonly retryAfterMs?: number,
  ) {
    super(message);
    this.name = 'TransientCopyFailure';
  }
}

const MB = 1024 * 1024;

/** WhatsApp's own limits per kind of message; a type without one is held to a document's. */
export function sizeLimitOf(type: string): number {
  switch (type) {
    case 'IMAGE':
      return INFOBIP_MEDIA_LIMITS.image;
    case 'STICKER':
      return INFOBIP_MEDIA_LIMITS.sticker;
    case 'AUDIO':
    case 'VOICE':
      return INFOBIP_MEDIA_LIMITS.audio;
    case 'VIDEO':
      return INFOBIP_MEDIA_LIMITS.video;
    default:
      return INFOBIP_MEDIA_LIMITS.document;
  }
}

export interface Download {
  body: ReadableStream<Uint8Array>;
  size: number;
  /** As Infobip (or its CDN) says; `application/octet-stream` when it says none. */
  contentType: string;
  fileName?: string;
  /** Whether the bytes came through a redirect. */
  redirected: boolean;
}

/** Until the headers arrive; the body's pace is bounded by the copier's own timeout. */
const HEADERS_TIMEOUT_MS = 10_000;
const REDIRECTS = new Set([301, 302, 303, 307, 308]);

export interface DownloadDeps {
  apiKey: string;
  limiter: DownloadLimiter;
  fetch?: typeof fetch;
}

export async function downloadInbound(source: InboundSource, type: string, deps: DownloadDeps): Promise<Download> {
  const fetchImpl = deps.fetch ?? fetch;
  await deps.limiter.take(source.url.host);
  const first = await get(fetchImpl, source.url, { authorization: `App ${deps.apiKey}` });
  let response = first;
  if (REDIRECTS.has(first.status)) {
    await first.body?.cancel();
    const location = first.headers.get('location');
    const target = location !== null && URL.canParse(location, source.url.href) ? new URL(location, source.url.href) : undefined;
    if (target === undefined || !schemeAllowed(target)) {
      throw new TransientCopyFailure(
        `Infobip redirected the download to ${target === undefined ? 'no valid URL' : 'a URL that is not https'}`,
      );
    }
    // No key: the redirect's target is a copy that opens on its own, and may be any host.
    response = await get(fetchImpl, target, {});
    if (REDIRECTS.has(response.status)) {
      await response.body?.cancel();
      throw new TransientCopyFailure('Infobip redirected the download twice; one redirect is followed');
    }
  }
  const where = response === first ? 'Infobip' : "Infobip's redirect";
  if (response.status === 404 || response.status === 410) {
    await response.body?.cancel();
    throw new PermanentCopyFailure('EXPIRED', `${where} answered ${response.status}: the file is missing or expired at Infobip`);
  }
  if (response.status === 429) {
    await response.body?.cancel();
    throw new TransientCopyFailure(
      `${where} answered 429 (too many downloads)`,
      retryAfterMs(response.headers.get('retry-after')),
    );
  }
  if (response.status !== 200 || response.body === null) {
    await response.body?.cancel();
    throw new TransientCopyFailure(`${where} answered ${response.status}`);
  }
  const limit = sizeLimitOf(type);
  const length = response.headers.get('content-length');
  // A chunked answer says no size; Infobip's HEAD on the same path does (get-whatsapp-media-metadata).
  const size = sizeOf(length) ?? (await sizeByHead(fetchImpl, source, deps));
  if (size === undefined) {
    await response.body.cancel();
    throw new PermanentCopyFailure('NO_SIZE', `${where} did not say the file's size (Content-Length), nor did Infobip's HEAD`);
  }
  if (size > limit) {
    await response.body.cancel();
    throw new PermanentCopyFailure(
      'TOO_LARGE',
      `The file is ${size} bytes; WhatsApp's limit for ${type} is ${limit} bytes (${(limit / MB).toFixed(1)} MiB)`,
    );
  }
  return {
    body: response.body,
    size,
    contentType: response.headers.get('content-type')?.trim() || 'application/octet-stream',
    fileName: fileNameOf(response.headers.get('content-disposition')),
    redirected: response !== first,
  };
}

const sizeOf = (length: string | null): number | undefined =>
  length !== null && /^\d{1,15}$/.test(length) ? Number(length) : undefined;

/** The size Infobip's HEAD gives (with the key, on the checked source); undefined when it gives none. */
async function sizeByHead(fetchImpl: typeof fetch, source: InboundSource, deps: DownloadDeps): Promise<number | undefined> {
  await deps.limiter.take(source.url.host);
  const head = await get(fetchImpl, source.url, { authorization: `App ${deps.apiKey}` }, 'HEAD');
  await head.body?.cancel();
  return head.status === 200 ? sizeOf(head.headers.get('content-length')) : undefined;
}

async function get(fetchImpl: typeof fetch, url: URL, headers: Record<string, string>, method = 'GET'): Promise<Response> {
  const timer = deadline(HEADERS_TIMEOUT_MS);
  try {
    return await fetchImpl(url, { method, headers, redirect: 'manual', signal: timer.signal });
  } catch (error: unknown) {
    const cause = error instanceof Error && error.cause instanceof Error ? ` (${error.cause.message})` : '';
    throw new TransientCopyFailure(
      `${url.host} could not be reached: ${error instanceof Error ? error.message : String(error)}${cause}`,
    );
  } finally {
    // Up to the headers: the body streams on after this.
    timer.clear();
  }
}

/** Infobip's `Retry-After`, at most a minute, so a bad header cannot park the copier. */
export function retryAfterMs(header: string | null): number | undefined {
  const seconds = retryAfterSeconds(header);
  return seconds === undefined ? undefined : Math.min(seconds * 1000, 60_000);
}

/** `filename="…"` of a Content-Disposition, when there is a plain one. */
function fileNameOf(header: string | null): string | undefined {
  if (header === null || header.length > 1000) return undefined;
  const match = /filename="([^"\\]{1,240})"/i.exec(header);
  return match?.[1];
}
