/**
 * Lambda's asynchronous invoke (`InvocationType: Event`), in this process: the invoke is
 * taken at once (Lambda's 202) and queued; at most `reservedConcurrency` runs go at a time,
 * each in a warm container of its own (created on first need, reused after); a run that
 * throws is run again after a delay, up to `retries` more times (`maximumRetryAttempts`),
 * and what still fails goes to the failure destination. A run longer than the function's
 * timeout is a failed attempt whose container is thrown away, as Lambda does with a
 * function it kills: whatever that run still held never finishes.
 */

export type Container<E> = (event: E) => Promise<unknown>;

export interface AsyncLambdaOptions<E> {
  /** A fresh execution environment: its handler, with clients of its own. */
  container: () => Container<E>;
  reservedConcurrency: number;
  /** `maximumRetryAttempts`; Lambda's default and IMChannel's copier's: 2. */
  retries?: number;
  /** Before each retry; Lambda waits about one minute, then two: scaled down for a test. */
  retryDelaysMs?: readonly number[];
  /** The function's timeout. */
  timeoutMs: number;
}

export interface Attempt {
  startedAt: number;
  endedAt: number;
  /** `ok`, an error's name and message, or `killed` (timed out, container discarded). */
  result: string;
}

export interface Invocation<E> {
  event: E;
  attempts: Attempt[];
  /** What the last successful run returned. */
  outcome?: unknown;
  state: 'queued' | 'running' | 'waitingToRetry' | 'succeeded' | 'failed';
}

export interface AsyncLambda<E> {
  /** Lambda took it (202): it runs when a place is free. */
  invoke(event: E): void;
  invocations: Invocation<E>[];
  /** What failed every attempt (the failure destination's messages), in order. */
  failureDestination: Invocation<E>[];
  /** Awaited before a failed invocation is queued again: a test looks at what the failure left, or mends a fault. */
  beforeRetry: (invocation: Invocation<E>) => void | Promise<void>;
  /** Most runs at once: never above the reserved concurrency. */
  peakConcurrency(): number;
  containersStarted(): number;
  /** Resolves when nothing is queued, running or waiting to be retried. */
  idle(timeoutMs: number): Promise<void>;
}

class KilledError extends Error {
  constructor(timeoutMs: number) {
    super(`Task timed out after ${timeoutMs} ms`);
    this.name = 'KilledError';
  }
}

export function startAsyncLambda<E>(options: AsyncLambdaOptions<E>): AsyncLambda<E> {
  const retries = options.retries ?? 2;
  const delays = options.retryDelaysMs ?? [200, 400];
  const queue: Invocation<E>[] = [];
  const warm: Container<E>[] = [];
  let running = 0;
  let waiting = 0;
  let peak = 0;
  let started = 0;

  const lambda: AsyncLambda<E> = {
    invocations: [],
    failureDestination: [],
    beforeRetry: () => undefined,
    invoke(event) {
      const invocation: Invocation<E> = { event, attempts: [], state: 'queued' };
      lambda.invocations.push(invocation);
      queue.push(invocation);
      pump();
    },
    peakConcurrency: () => peak,
    containersStarted: () => started,
    async idle(timeoutMs) {
      const until = Date.now() + timeoutMs;
      while (queue.length + running + waiting > 0) {
        if (Date.now() > until) {
          throw new Error(
            `the copies were not done in ${timeoutMs} ms: ${queue.length} queued, ${running} running, ${waiting} to retry`,
          );
        }
        await new Promise((resolve) => setTimeout(resolve, 50));
      }
    },
  };

  function pump() {
    while (running < options.reservedConcurrency && queue.length > 0) {
      const invocation = queue.shift() as Invocation<E>;
      running += 1;
      peak = Math.max(peak, running);
      void run(invocation).finally(() => {
        running -= 1;
        pump();
      });
    }
  }

  async function run(invocation: Invocation<E>) {
    invocation.state = 'running';
    let container = warm.pop();
    if (container === undefined) {
      container = options.container();
      started += 1;
    }
    const attempt: Attempt = { startedAt: Date.now(), endedAt: 0, result: 'ok' };
    invocation.attempts.push(attempt);
    let timer: NodeJS.Timeout | undefined;
    const killed = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new KilledError(options.timeoutMs)), options.timeoutMs);
    });
    try {
      invocation.outcome = await Promise.race([container(invocation.event), killed]);
      invocation.state = 'succeeded';
      warm.push(container);
    } catch (error: unknown) {
      attempt.result =
        error instanceof KilledError ? 'killed' : error instanceof Error ? `${error.name}: ${error.message}` : String(error);
      // A killed container is gone; one whose handler threw is reused, as Lambda does.
      if (!(error instanceof KilledError)) warm.push(container);
      if (invocation.attempts.length > retries) {
        invocation.state = 'failed';
        lambda.failureDestination.push(invocation);
      } else {
        invocation.state = 'waitingToRetry';
        waiting += 1;
        const delay = delays[Math.min(invocation.attempts.length - 1, delays.length - 1)] ?? 0;
        setTimeout(() => {
          void Promise.resolve()
            .then(() => lambda.beforeRetry(invocation))
            .catch(() => undefined)
            .finally(() => {
              waiting -= 1;
              invocation.state = 'queued';
              queue.push(invocation);
              pump();
            });
        }, delay);
      }
    } finally {
      clearTimeout(timer);
      attempt.endedAt = Date.now();
    }
  }

  return lambda;
}
