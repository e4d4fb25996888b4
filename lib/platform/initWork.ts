/**
 * Work a function starts at cold start without awaiting it there, such as the webhooks'
 * lazy import of the Lambda client: Lambda's init phase lets it run before the first
 * event arrives, and the first invocation awaits it. Each piece is noted on a global under
 * a registered symbol, so that whatever loads a bundle (the bench's cold-init child) can
 * wait for it as the runtime would, without reaching into the bundle's own modules.
 * Settled either way: a failure surfaces where the work is awaited, not here.
 */
export const INIT_WORK_KEY = Symbol.for('imchannel.initWork');

type WithInitWork = typeof globalThis & { [INIT_WORK_KEY]?: Promise<void>[] };

export function noteInitWork(work: Promise<unknown>): void {
  const store = globalThis as WithInitWork;
  (store[INIT_WORK_KEY] ??= []).push(
    work.then(
      () => undefined,
      () => undefined,
    ),
  );
}

/** Resolves once every piece of init work noted so far has settled. */
export async function initWorkSettled(): Promise<void> {
  await Promise.all((globalThis as WithInitWork)[INIT_WORK_KEY] ?? []);
}
