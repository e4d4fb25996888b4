const DEFAULT_TIMEOUT_MS = 5_000;

interface Waiter {
  check(): void;
  fail(error: Error): void;
}

/** Promises that settle once a record list reaches a length, so tests never poll or sleep. */
export class Waiters {
  private readonly pending = new Set<Waiter>();

  waitFor<T>(list: () => T[], n: number, what: string, timeoutMs = DEFAULT_TIMEOUT_MS): Promise<T[]> {
    if (list().length >= n) return Promise.resolve([...list()]);
    return new Promise<T[]>((resolve, reject) => {
      const settle = (): void => {
        clearTimeout(timer);
        this.pending.delete(waiter);
      };
      const waiter: Waiter = {
        check: () => {
          if (list().length < n) return;
          settle();
          resolve([...list()]);
        },
        fail: (error) => {
          settle();
          reject(error);
        },
      };
      const timer = setTimeout(() => {
        const got = list();
        waiter.fail(
          new Error(`timed out after ${timeoutMs} ms waiting for ${n} ${what}; got ${got.length}: ${JSON.stringify(got)}`),
        );
      }, timeoutMs);
      this.pending.add(waiter);
    });
  }

  notify(): void {
    for (const w of [...this.pending]) w.check();
  }

  rejectAll(error: Error): void {
    for (const w of [...this.pending]) w.fail(error);
  }
}
