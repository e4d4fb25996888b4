import { setTimeout as sleep } from 'node:timers/promises';
import { runInLanes } from '../../lib/inbound/lanes';

interface Item {
  id: string;
  lane: string;
}

const items = (spec: string): Item[] =>
  // "a1 a2 b1" → items a1, a2 (lane a), b1 (lane b)
  spec.split(' ').map((id) => ({ id, lane: id.charAt(0) }));

/** A run that takes `ms` per item (varied so that lanes interleave), recording starts, ends and how many ran at once. */
function recorder(delayOf: (item: Item) => number = () => 5, failing = new Set<string>()) {
  const started: string[] = [];
  const finished: string[] = [];
  let active = 0;
  let peak = 0;
  return {
    started,
    finished,
    peak: () => peak,
    run: async (item: Item) => {
      active += 1;
      peak = Math.max(peak, active);
      started.push(item.id);
      await sleep(delayOf(item));
      active -= 1;
      finished.push(item.id);
      return !failing.has(item.id);
    },
  };
}

const lane = (ids: string[], name: string) => ids.filter((id) => id.startsWith(name));

describe('runInLanes: a bounded pool that keeps each conversation in order', () => {
  it('runs each lane in the given order, one at a time, while lanes overlap', async () => {
    const batch = items('a1 b1 a2 c1 b2 a3 c2 b3 a4');
    // Later items of a lane are quicker, so a lane that did not wait would finish out of order.
    const r = recorder((item) => 20 - Number(item.id.slice(1)) * 4);

    const outcomes = await runInLanes(batch, { concurrency: 3, laneOf: (i) => i.lane, mayStart: () => true, run: r.run });

    expect(outcomes).toEqual(batch.map(() => 'ran'));
    for (const name of ['a', 'b', 'c']) {
      expect(lane(r.finished, name)).toEqual(
        lane(
          batch.map((i) => i.id),
          name,
        ),
      );
      expect(lane(r.started, name)).toEqual(
        lane(
          batch.map((i) => i.id),
          name,
        ),
      );
    }
    // The lanes did run side by side: all three were active at once.
    expect(r.peak()).toBe(3);
  });

  it('never runs more than `concurrency` at once, and uses all of it', async () => {
    const batch = Array.from({ length: 60 }, (_, i) => ({ id: `x${i}`, lane: `lane-${i % 20}` }));
    const r = recorder(() => 3);

    await runInLanes(batch, { concurrency: 7, laneOf: (i) => i.lane, mayStart: () => true, run: r.run });

    expect(r.peak()).toBe(7);
    expect(r.finished.sort()).toEqual(batch.map((i) => i.id).sort());
  });

  it('a failure holds back the rest of its lane only', async () => {
    const batch = items('a1 b1 a2 b2 a3 b3 c1');
    const r = recorder(() => 2, new Set(['a2']));

    const outcomes = await runInLanes(batch, { concurrency: 2, laneOf: (i) => i.lane, mayStart: () => true, run: r.run });

    expect(Object.fromEntries(batch.map((item, i) => [item.id, outcomes[i]]))).toEqual({
      a1: 'ran',
      a2: 'failed',
      a3: 'heldBack',
      b1: 'ran',
      b2: 'ran',
      b3: 'ran',
      c1: 'ran',
    });
    expect(r.started).not.toContain('a3');
  });

  it('once mayStart says no, nothing else starts in any lane; what runs finishes', async () => {
    const batch = items('a1 a2 a3 b1 b2 b3');
    const r = recorder(() => 5);
    let starts = 0;

    const outcomes = await runInLanes(batch, {
      concurrency: 2,
      laneOf: (i) => i.lane,
      mayStart: () => (starts += 1) <= 3, // time for three starts only
      run: r.run,
    });

    expect(r.started).toHaveLength(3);
    expect(r.finished).toEqual(expect.arrayContaining(r.started));
    expect(outcomes.filter((o) => o === 'ran')).toHaveLength(3);
    expect(outcomes.filter((o) => o === 'notStarted')).toHaveLength(3);
    // In each lane what ran comes before what did not start: the retry resumes in order.
    for (const name of ['a', 'b']) {
      const laneOutcomes = batch.flatMap((item, i) => (item.lane === name ? [outcomes[i]] : [])).join(' ');
      expect(laneOutcomes).toMatch(/^(ran ?)*(notStarted ?)*$/);
    }
  });

  it('starts the longest lane first, so one long conversation does not finish last', async () => {
    const batch = [...items('b1 c1 d1'), ...items('a1 a2 a3 a4')];
    const r = recorder(() => 2);

    await runInLanes(batch, { concurrency: 1, laneOf: (i) => i.lane, mayStart: () => true, run: r.run });

    // The lane with most left goes next; on a tie, the lane that appeared first.
    expect(r.started).toEqual(['a1', 'a2', 'a3', 'b1', 'c1', 'd1', 'a4']);
  });

  it('fills the slots item by item: a third lane runs between the steps of the first two', async () => {
    const batch = items('a1 a2 b1 b2 c1 c2');
    const r = recorder(() => 5);

    await runInLanes(batch, { concurrency: 2, laneOf: (i) => i.lane, mayStart: () => true, run: r.run });

    // Lane by lane: a1 b1 a2 b2 c1 c2, four rounds; item by item, c starts as soon as a slot is free: three.
    expect(r.started).toEqual(['a1', 'b1', 'c1', 'a2', 'b2', 'c2']);
    expect(r.peak()).toBe(2);
  });

  it('refuses a concurrency that is not a whole number of at least 1', async () => {
    const options = { laneOf: () => 'x', mayStart: () => true, run: async () => true };
    await expect(runInLanes([1], { ...options, concurrency: 0 })).rejects.toThrow(RangeError);
    await expect(runInLanes([1], { ...options, concurrency: 1.5 })).rejects.toThrow(RangeError);
    await expect(runInLanes([], { ...options, concurrency: 1 })).resolves.toEqual([]);
  });
});
