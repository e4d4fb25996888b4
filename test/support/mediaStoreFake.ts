import { decodeEntry, encodeEntry } from '../../lib/media/format';
import { MediaStoreUnavailableError, type MediaStore } from '../../lib/media/store';

/** An in-memory MediaStore that records every call, for unit tests (no network). */
export function fakeMediaStore() {
  const values = new Map<string, { value: string; ttlSeconds: number }>();
  const calls: string[] = [];
  let down = false;
  /** A SET that Redis ran but whose reply never came back (a restart at the wrong moment). */
  let lostPutReply = false;
  let removeFailures = 0;
  const guard = (call: string) => {
    calls.push(call);
    if (down) throw new MediaStoreUnavailableError();
  };
  const store: MediaStore = {
    async put(id, entry, ttlSeconds) {
      guard(`put ${id} ${ttlSeconds}`);
      values.set(id, { value: encodeEntry(entry), ttlSeconds });
      if (lostPutReply) throw new MediaStoreUnavailableError();
    },
    async take(id, kind, ttlSeconds) {
      guard(`take ${id} ${ttlSeconds}`);
      const stored = values.get(id);
      if (!stored) return { found: false };
      const entry = decodeEntry(stored.value);
      // As the store's script: only a file of the asked kind, and only ever shorter.
      if (entry?.kind === kind) stored.ttlSeconds = Math.min(stored.ttlSeconds, ttlSeconds);
      return { found: true, entry };
    },
    async remove(id) {
      guard(`remove ${id}`);
      if (removeFailures > 0) {
        removeFailures -= 1;
        throw new MediaStoreUnavailableError();
      }
      values.delete(id);
    },
  };
  return {
    store,
    values,
    calls,
    /** Stores a raw value, e.g. one this service did not write. */
    setRaw: (id: string, value: string) => values.set(id, { value, ttlSeconds: 60 }),
    setDown: (isDown: boolean) => {
      down = isDown;
    },
    /** The next put stores the file and still fails; the next `failures` removes fail. */
    loseNextPutReply: (failures: number) => {
      lostPutReply = true;
      removeFailures = failures;
    },
  };
}
