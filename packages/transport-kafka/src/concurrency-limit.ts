/**
 * A counting semaphore: at most `limit` holders at once, waiters served first come, first served.
 * Every successful `tryAcquire` and every resolved `acquire` must be matched by one `release`.
 */
export interface ConcurrencyLimit {
  /** Takes a slot if one is free right now (no waiting, no promise). */
  tryAcquire(): boolean;
  /** Resolves once a slot is taken. */
  acquire(): Promise<void>;
  /** Gives a slot back, to the longest waiter if there is one. */
  release(): void;
}

/** Creates a {@link ConcurrencyLimit} with `limit` slots. */
export function createConcurrencyLimit(limit: number): ConcurrencyLimit {
  let active = 0;
  const waiting: Array<() => void> = [];
  return {
    tryAcquire() {
      if (active >= limit) return false;
      active += 1;
      return true;
    },
    acquire() {
      if (active < limit) {
        active += 1;
        return Promise.resolve();
      }
      return new Promise((resolve) => waiting.push(resolve));
    },
    release() {
      const next = waiting.shift();
      if (next) next();
      else active -= 1;
    },
  };
}
