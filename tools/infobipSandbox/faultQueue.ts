/**
 * Injected failures wait in a queue, each for `times` requests: the next request takes the
 * first one, which leaves the queue when it has been used that often.
 */
export function takeQueued<T extends { times: number }>(queue: T[]): T | undefined {
  const next = queue[0];
  if (!next) return undefined;
  next.times -= 1;
  if (next.times <= 0) queue.shift();
  return next;
}
