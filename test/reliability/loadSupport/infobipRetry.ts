import { setTimeout as sleep } from 'node:timers/promises';

/**
 * Infobip's side of a webhook: post the body, and when the answer is not 2xx (or there is
 * no answer), post the very same body again after a back-off, until a 2xx or the attempts
 * run out. Infobip backs off for minutes; here the delays are milliseconds, which changes
 * nothing IMChannel can see but the clock.
 */

export interface WebhookAnswer {
  status: number;
  body: string;
}

export type PostWebhook = (body: string) => Promise<WebhookAnswer>;

export interface RetryPolicy {
  maxAttempts: number;
  baseDelayMs: number;
  maxDelayMs: number;
}

export interface Attempt {
  /** 0: no HTTP answer (connection error or timeout). */
  status: number;
  /** The error code of a non-2xx answer, e.g. CTLIVE_UNAVAILABLE. */
  code?: string;
  /** What the service says it forwarded and found duplicate, from either kind of answer. */
  forwarded: number;
  duplicates: number;
  failure?: string;
}

export interface Delivery {
  delivered: boolean;
  attempts: Attempt[];
}

const count = (value: unknown) => (typeof value === 'number' && Number.isInteger(value) ? value : 0);

export function readAnswer(answer: WebhookAnswer): Attempt {
  let json: unknown;
  try {
    json = JSON.parse(answer.body);
  } catch {
    return { status: answer.status, forwarded: 0, duplicates: 0, failure: `not JSON: ${answer.body.slice(0, 200)}` };
  }
  const body = (typeof json === 'object' && json !== null ? json : {}) as Record<string, unknown>;
  const error = body.error as Record<string, unknown> | undefined;
  if (error === undefined) return { status: answer.status, forwarded: count(body.forwarded), duplicates: count(body.duplicates) };
  return {
    status: answer.status,
    code: typeof error.code === 'string' ? error.code : 'NO_CODE',
    forwarded: count(error.forwarded),
    duplicates: count(error.duplicates),
  };
}

export async function deliverLikeInfobip(
  post: PostWebhook,
  body: string,
  policy: RetryPolicy,
  random: () => number,
): Promise<Delivery> {
  const attempts: Attempt[] = [];
  for (let attempt = 1; attempt <= policy.maxAttempts; attempt++) {
    let outcome: Attempt;
    try {
      outcome = readAnswer(await post(body));
    } catch (error: unknown) {
      outcome = { status: 0, forwarded: 0, duplicates: 0, failure: error instanceof Error ? error.message : String(error) };
    }
    attempts.push(outcome);
    if (outcome.status >= 200 && outcome.status < 300) return { delivered: true, attempts };
    const backOff = Math.min(policy.maxDelayMs, policy.baseDelayMs * 2 ** (attempt - 1));
    await sleep(backOff / 2 + random() * (backOff / 2));
  }
  return { delivered: false, attempts };
}
