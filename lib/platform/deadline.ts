/**
 * A timeout for one outbound call. `AbortSignal.timeout()` would do, but on Node 20 each
 * one costs tens of microseconds (a transferable signal, a weak timer) and its timer
 * outlives the call; on a warm path that runs per request this is cheaper, and `clear()`
 * drops the timer as soon as the call is done. The abort reason is the same
 * `TimeoutError` DOMException `AbortSignal.timeout()` uses, so callers tell it apart alike.
 */
export interface Deadline {
  signal: AbortSignal;
  clear(): void;
}

export function deadline(ms: number): Deadline {
  const controller = new AbortController();
  const timer = setTimeout(
    () => controller.abort(new DOMException(`The operation timed out after ${ms} ms`, 'TimeoutError')),
    ms,
  );
  // Never the reason a process (a test, the local stack) stays alive.
  timer.unref();
  return { signal: controller.signal, clear: () => clearTimeout(timer) };
}
