/**
 * A bounded pool that keeps order within a lane: the items of one lane (one conversation)
 * run one after another in the order given, different lanes run side by side, and at most
 * `concurrency` items run at once. An item that fails holds back the rest of its lane and
 * nothing else. Used by the webhooks to forward a batch (lib/inbound/webhook.ts).
 */

export type LaneOutcome =
  /** It ran and succeeded. */
  | 'ran'
  /** It ran (or was refused to run) and failed: the rest of its lane was held back. */
  | 'failed'
  /** An earlier item of its lane failed, so it was not started. */
  | 'heldBack'
  /** `mayStart` said no before its turn: nothing more was started in any lane. */
  | 'notStarted';

export interface LaneOptions<T> {
  /** At most this many items run at once (a whole number ≥ 1). */
  concurrency: number;
  laneOf: (item: T, index: number) => string;
  /** Asked before each start; once it says no, nothing else starts anywhere. */
  mayStart: () => boolean;
  /** Resolves true when the item went through, false when it failed; must not throw. */
  run: (item: T, index: number) => Promise<boolean>;
}

/** One outcome per item, by index. */
export async function runInLanes<T>(items: readonly T[], options: LaneOptions<T>): Promise<LaneOutcome[]> {
  if (!Number.isInteger(options.concurrency) || options.concurrency < 1) {
    throw new RangeError(`concurrency must be a whole number ≥ 1, got ${options.concurrency}`);
  }
  const outcomes: LaneOutcome[] = items.map(() => 'notStarted');
  const byLane = new Map<string, number[]>();
  items.forEach((item, i) => {
    const lane = options.laneOf(item, i);
    const indexes = byLane.get(lane);
    if (indexes === undefined) byLane.set(lane, [i]);
    else indexes.push(i);
  });
  // Longest lanes first (stable, so ties keep the order of first appearance): a long lane
  // cannot be shortened, so it starts at once instead of after every short one.
  const lanes = [...byLane.values()].sort((a, b) => b.length - a.length);
  let nextLane = 0;
  let stopped = false;

  const worker = async () => {
    for (let lane = lanes[nextLane++]; lane !== undefined; lane = lanes[nextLane++]) {
      for (const [position, index] of lane.entries()) {
        if (stopped || !options.mayStart()) {
          stopped = true;
          break; // what is left stays notStarted, in this lane and every other
        }
        if (await options.run(items[index] as T, index)) {
          outcomes[index] = 'ran';
          continue;
        }
        outcomes[index] = 'failed';
        for (const held of lane.slice(position + 1)) outcomes[held] = 'heldBack';
        break;
      }
      if (stopped) return;
    }
  };
  await Promise.all(Array.from({ length: Math.min(options.concurrency, lanes.length) }, worker));
  return outcomes;
}
