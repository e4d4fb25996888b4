/** The calls Infobip makes on its own after accepting a message. */
import { createHash } from 'node:crypto';
import { describe } from './http';
import type { DeliveryReportPost, MediaFetch, WebhookAuth } from './types';
import { postWebhook } from './webhook';

export const MEDIA_TIMEOUT_MS = 10_000;
/** Enough of a WebP for its VP8X flags. */
const HEAD_BYTES = 32;

/**
 * One fetch of a media URL. Redirects are never followed (`redirect: 'manual'`): a 3xx is
 * recorded as it is, and judged a failed fetch. The body is counted as it streams, so a
 * body cut short still tells how many bytes came.
 */
export async function fetchMedia(
  url: string,
  method: 'HEAD' | 'GET',
  signal: AbortSignal,
  timeoutMs = MEDIA_TIMEOUT_MS,
  keepHead = false,
): Promise<MediaFetch> {
  const at = new Date().toISOString();
  let status = 0;
  let headers: Record<string, string> = {};
  let bodyBytes = 0;
  const hash = createHash('sha256');
  try {
    const res = await fetch(url, {
      method,
      redirect: 'manual',
      signal: AbortSignal.any([signal, AbortSignal.timeout(timeoutMs)]),
    });
    status = res.status;
    headers = Object.fromEntries(res.headers);
    if (method === 'HEAD') {
      await res.body?.cancel();
      return { url, method, status, headers, at };
    }
    const head: Buffer[] = [];
    for await (const chunk of res.body ?? []) {
      if (keepHead && bodyBytes < HEAD_BYTES) head.push(Buffer.from(chunk));
      bodyBytes += chunk.length;
      hash.update(chunk);
    }
    const bodyHead = keepHead ? { bodyHead: Buffer.concat(head).subarray(0, HEAD_BYTES).toString('hex') } : {};
    return { url, method, status, headers, bodySha256: hash.digest('hex'), bodyBytes, ...bodyHead, at };
  } catch (e: unknown) {
    const partial = method === 'GET' && status !== 0 ? { bodyBytes } : {};
    return { url, method, status, headers, ...partial, error: describe(e), at };
  }
}

export async function postDeliveryReport(
  url: string,
  body: unknown,
  auth: WebhookAuth | undefined,
  signal: AbortSignal,
  attempt: number,
): Promise<DeliveryReportPost> {
  const at = new Date().toISOString();
  try {
    const res = await postWebhook(url, body, auth, signal);
    return { url, attempt, status: res.status, body, at };
  } catch (e: unknown) {
    return { url, attempt, body, error: describe(e), at };
  }
}
