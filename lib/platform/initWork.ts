/**
 * Work a function starts at cold start without awaiting it there, such as the webhooks'
 * lazy import of the Lambda client: Lambda's init phase lets it run before the first
 * event arrives, and the first invocation awaits it. Each piece is noted on a global under
 * a registered symbol, so that whatever loads a bundle (the bench's cold-init child) can
 * wait for it as the runtime would, without reaching into the bundle's own modules.
 * Never rejected: a failure surfaces where the work is awaited; here it is only recorded.
 */
export const INIT_WORK_KEY = Symbol.for('imchannel.initWork');

/** Each piece resolves to `undefined` when it succeeded, or to what it failed with. */
type WithInitWork = typeof globalThis & { [INIT_WORK_KEY]?: Promise<unknown>[] };

export function noteInitWork(work: Promise<unknown>): void {
  const store = globalThis as WithInitWork;
  (store[INIT_WORK_KEY] ??= []).push(
    work.then(
      () => undefined,
      (error: unknown) => error ?? new Error('init work failed'),
    ),
  );
}

/** Once every piece of init work noted so far has settled: what the failed ones failed with. */
export async function initWorkSettled(): Promise<unknown[]> {
  const outcomes = await Promise.all((globalThis as WithInitWork)[INIT_WORK_KEY] ?? []);
  return outcomes.filter((outcome) => outcome !== undefined);
}
