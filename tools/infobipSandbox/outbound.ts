/** The calls Infobip makes on its own after accepting a message. */
import { describe, sha256 } from './http';
import type { DeliveryReportPost, MediaFetch, WebhookAuth } from './types';
import { postWebhook } from './webhook';

const MEDIA_TIMEOUT_MS = 10_000;

export async function fetchMedia(url: string, method: 'HEAD' | 'GET', signal: AbortSignal): Promise<MediaFetch> {
  const at = new Date().toISOString();
  let status = 0;
  let headers: Record<string, string> = {};
  try {
    const res = await fetch(url, { method, signal: AbortSignal.any([signal, AbortSignal.timeout(MEDIA_TIMEOUT_MS)]) });
    status = res.status;
    headers = Object.fromEntries(res.headers);
    if (method === 'HEAD') {
      await res.body?.cancel();
      return { url, method, status, headers, at };
    }
    const bytes = Buffer.from(await res.arrayBuffer());
    return { url, method, status, headers, bodySha256: sha256(bytes).toString('hex'), bodyBytes: bytes.length, at };
  } catch (e: unknown) {
    return { url, method, status, headers, error: describe(e), at };
  }
}

export async function postDeliveryReport(
  url: string,
  body: unknown,
  auth: WebhookAuth | undefined,
  signal: AbortSignal,
): Promise<DeliveryReportPost> {
  const at = new Date().toISOString();
  try {
    const res = await postWebhook(url, body, auth, signal);
    return { url, status: res.status, body, at };
  } catch (e: unknown) {
    return { url, body, error: describe(e), at };
  }
}
