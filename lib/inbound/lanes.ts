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

interface Lane {
  indexes: number[];
  /** The next of `indexes` to start. */
  next: number;
  /** One of its items is running: the next one waits for it. */
  busy: boolean;
}

/**
 * One outcome per item, by index. Whenever a slot is free it goes to the lane with the
 * most items left that is not already running one (ties: the lane that appeared first),
 * item by item rather than lane by lane: a long conversation starts at once instead of
 * after the short ones, and the short ones fill the slots between its steps.
 */
export function runInLanes<T>(items: readonly T[], options: LaneOptions<T>): Promise<LaneOutcome[]> {
  if (!Number.isInteger(options.concurrency) || options.concurrency < 1) {
    return Promise.reject(new RangeError(`concurrency must be a whole number ≥ 1, got ${options.concurrency}`));
  }
  const outcomes: LaneOutcome[] = items.map(() => 'notStarted');
  const byName = new Map<string, Lane>();
  items.forEach((item, i) => {
    const name = options.laneOf(item, i);
    const lane = byName.get(name);
    if (lane === undefined) byName.set(name, { indexes: [i], next: 0, busy: false });
    else lane.indexes.push(i);
  });
  const lanes = [...byName.values()];
  const left = (lane: Lane) => lane.indexes.length - lane.next;
  const ready = () => {
    let best: Lane | undefined;
    for (const lane of lanes) if (!lane.busy && left(lane) > 0 && (best === undefined || left(lane) > left(best))) best = lane;
    return best;
  };

  return new Promise((resolve) => {
    let active = 0;
    let stopped = false;
    const settle = (lane: Lane, index: number, ok: boolean) => {
      active -= 1;
      lane.busy = false;
      outcomes[index] = ok ? 'ran' : 'failed';
      if (!ok) {
        for (const held of lane.indexes.slice(lane.next)) outcomes[held] = 'heldBack';
        lane.next = lane.indexes.length;
      }
      fill();
    };
    const fill = () => {
      while (!stopped && active < options.concurrency) {
        const lane = ready();
        if (lane === undefined) break;
        if (!options.mayStart()) {
          stopped = true; // what is left stays notStarted, in this lane and every other
          break;
        }
        const index = lane.indexes[lane.next] as number;
        lane.next += 1;
        lane.busy = true;
        active += 1;
        options.run(items[index] as T, index).then(
          (ok) => settle(lane, index, ok),
          () => settle(lane, index, false),
        );
      }
      if (active === 0) resolve(outcomes);
    };
    fill();
  });
}
