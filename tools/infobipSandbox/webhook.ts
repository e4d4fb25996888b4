import type { WebhookAuth } from './types';

const WEBHOOK_TIMEOUT_MS = 10_000;

/** The headers Infobip's webhook settings can be told to send: Basic and/or a static one. */
export function webhookAuthHeaders(auth: WebhookAuth | undefined): Record<string, string> {
  const headers: Record<string, string> = {};
  if (auth?.basic) {
    const token = Buffer.from(`${auth.basic.username}:${auth.basic.password}`, 'utf8').toString('base64');
    headers.authorization = `Basic ${token}`;
  }
  if (auth?.header) headers[auth.header.name.toLowerCase()] = auth.header.value;
  return headers;
}

/** POSTs a webhook the way Infobip does; `signal` lets the sandbox abandon it on close. */
export async function postWebhook(
  url: string,
  body: unknown,
  auth?: WebhookAuth,
  signal?: AbortSignal,
): Promise<{ status: number; body: string }> {
  const timeout = AbortSignal.timeout(WEBHOOK_TIMEOUT_MS);
  const res = await fetch(url, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...webhookAuthHeaders(auth) },
    body: JSON.stringify(body),
    signal: signal ? AbortSignal.any([signal, timeout]) : timeout,
  });
  return { status: res.status, body: await res.text() };
}
