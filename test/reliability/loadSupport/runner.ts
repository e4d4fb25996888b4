import { deliverLikeInfobip, type Delivery, type PostWebhook, type RetryPolicy } from './infobipRetry';
import type { Job, PlannedWebhook, Route } from './workload';

export interface Sent {
  webhook: PlannedWebhook;
  delivery: Delivery;
  /** Posted at the same moment as identical copies of itself. */
  concurrent: boolean;
}

/**
 * Runs the jobs with `concurrency` of them in flight at a time, each webhook retried
 * the way Infobip retries; the copies of a concurrent job are posted together.
 */
export async function runJobs(
  jobs: readonly Job[],
  concurrency: number,
  routes: Record<Route, PostWebhook>,
  policy: RetryPolicy,
  random: () => number,
): Promise<Sent[]> {
  const sent: Sent[] = [];
  let next = 0;
  const worker = async () => {
    while (next < jobs.length) {
      const job = jobs[next++] as Job;
      const deliveries = await Promise.all(
        job.map((webhook) => deliverLikeInfobip(routes[webhook.route], webhook.body, policy, random)),
      );
      deliveries.forEach((delivery, i) => sent.push({ webhook: job[i] as PlannedWebhook, delivery, concurrent: job.length > 1 }));
    }
  };
  await Promise.all(Array.from({ length: Math.min(concurrency, jobs.length) }, worker));
  return sent;
}

/** What the answers said, added up. */
export function tally(sent: readonly Sent[]) {
  const attempts = sent.flatMap((s) => s.delivery.attempts);
  const byCode: Record<string, number> = {};
  for (const attempt of attempts) {
    if (attempt.status >= 200 && attempt.status < 300) continue;
    const key = `${attempt.status} ${attempt.code ?? attempt.failure ?? ''}`.trim();
    byCode[key] = (byCode[key] ?? 0) + 1;
  }
  const ok = attempts.filter((a) => a.status >= 200 && a.status < 300);
  return {
    webhooks: sent.length,
    attempts: attempts.length,
    retries: attempts.length - sent.length,
    mostAttemptsForOneWebhook: Math.max(0, ...sent.map((s) => s.delivery.attempts.length)),
    undelivered: sent.filter((s) => !s.delivery.delivered).length,
    /** Every result the service said it forwarded, in 200s and in the counts of its 503s. */
    reportedForwarded: attempts.reduce((sum, a) => sum + a.forwarded, 0),
    /** Results a 200 answered as already forwarded: duplicates the service kept from ctlive. */
    duplicatesSuppressed: ok.reduce((sum, a) => sum + a.duplicates, 0),
    notOkAnswers: byCode,
  };
}
