/**
 * Delivery reports as Infobip pushes them: due reports for one URL travel together in one
 * `results` array, and a POST not answered 200 is retried on Infobip's schedule.
 *
 * Schedule: "1min + (1min * retryNumber * retryNumber)" after each failed attempt, from the
 * `notifyUrl` description of OmniAdvancedRequest in api-evangelist/infobip,
 * openapi/infobip-omni-failover-openapi.json (the same sentence is in every channel's spec).
 * How many retries Infobip makes before giving up is not in that material nor in the
 * Infobip pages found; the default of 20 is ours: its schedule spans about 48 hours, the
 * longest validity Infobip gives a message (OMNI `validityPeriod`).
 * Batch size: not documented for reports; 100 results per POST keeps a batch far below
 * IMChannel's webhook limits (6 MiB, 2,000 results: a subscription's maxBucketSize).
 */
import type { DeliveryReportPost } from './types';

export const DEFAULT_MAX_RETRIES = 20;
export const DEFAULT_BATCH_WINDOW_MS = 100;
export const DEFAULT_BATCH_MAX = 100;
const MINUTE_MS = 60_000;

/** The wait before retry `n` (1-based), before any time scale. */
export const retryDelayMs = (n: number): number => MINUTE_MS + MINUTE_MS * n * n;

export interface ReportQueueDeps {
  /** `signed`: with the webhook credentials (a subscription's reports), not a notifyUrl's. */
  post(url: string, body: { results: unknown[] }, attempt: number, signed: boolean): Promise<DeliveryReportPost>;
  /** Resolves early when the sandbox closes; `live()` then says to stop. */
  sleep(ms: number): Promise<void>;
  live(): boolean;
  record(post: DeliveryReportPost): void;
  /** Keeps a running delivery known to the sandbox, so close() can wait for it. */
  track(work: Promise<void>): void;
  log(line: string): void;
  /** Multiplies every retry wait: 1 is Infobip's real schedule, 0.001 turns minutes into ms. */
  timeScale: number;
  maxRetries: number;
  batchWindowMs: number;
  batchMax: number;
}

interface Destination {
  url: string;
  signed: boolean;
}

export class ReportQueue {
  /** Keyed by destination: a URL reached both ways would get two batches, each signed rightly. */
  private readonly pending = new Map<string, { to: Destination; results: unknown[] }>();
  private readonly timers = new Map<string, NodeJS.Timeout>();
  /** Bumped by clear(), so that deliveries started before it stop recording. */
  private generation = 0;

  constructor(private readonly deps: ReportQueueDeps) {}

  /** Queues one result for `url`; it leaves with whatever else is due there within the window. */
  add(url: string, result: unknown, signed = false): void {
    const key = `${signed ? 'signed' : 'plain'} ${url}`;
    const due = this.pending.get(key) ?? { to: { url, signed }, results: [] };
    due.results.push(result);
    this.pending.set(key, due);
    if (due.results.length >= this.deps.batchMax) return this.flush(key);
    if (!this.timers.has(key))
      this.timers.set(
        key,
        setTimeout(() => this.flush(key), this.deps.batchWindowMs),
      );
  }

  /** Drops what has not left yet (reset and close). */
  clear(): void {
    this.generation += 1;
    for (const timer of this.timers.values()) clearTimeout(timer);
    this.timers.clear();
    this.pending.clear();
  }

  private flush(key: string): void {
    clearTimeout(this.timers.get(key));
    this.timers.delete(key);
    const due = this.pending.get(key);
    this.pending.delete(key);
    if (!due) return;
    for (let i = 0; i < due.results.length; i += this.deps.batchMax) {
      this.deps.track(this.deliver(due.to, { results: due.results.slice(i, i + this.deps.batchMax) }));
    }
  }

  private async deliver({ url, signed }: Destination, body: { results: unknown[] }): Promise<void> {
    const { deps } = this;
    const generation = this.generation;
    const live = () => deps.live() && generation === this.generation;
    // Never the query string: a notifyUrl may carry its own credential there.
    const where = `${new URL(url).origin}${new URL(url).pathname}`;
    const what = `delivery report (${body.results.length} result${body.results.length === 1 ? '' : 's'})`;
    // Attempt n is followed by retry n, until maxRetries retries have been made.
    for (let attempt = 1; ; attempt += 1) {
      const post = await deps.post(url, body, attempt, signed);
      if (!live()) return;
      deps.record(post);
      const answer = `${where} ${post.error ?? post.status} (attempt ${attempt})`;
      if (post.status === 200) return deps.log(`${what} -> ${answer}`);
      if (attempt > deps.maxRetries) return deps.log(`${what} -> ${answer}; given up`);
      const wait = retryDelayMs(attempt) * deps.timeScale;
      deps.log(`${what} -> ${answer}; retry in ${Math.round(wait)} ms`);
      await deps.sleep(wait);
      if (!live()) return;
    }
  }
}
