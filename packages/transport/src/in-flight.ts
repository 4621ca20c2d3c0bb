/**
 * Counts work in progress so that a graceful close can wait for it. Adapters wrap each
 * handler run (and its acknowledgement) in {@link InFlightTracker.track}.
 */
export interface InFlightTracker {
  /** Tracked promises not yet settled. */
  readonly size: number;
  /** Tracks `work` until it settles and returns it unchanged. */
  track<T>(work: Promise<T>): Promise<T>;
  /**
   * Resolves `true` once nothing is in flight (work tracked while draining is waited for too),
   * or `false` when `timeoutMs` passes first. Never rejects.
   */
  drain(timeoutMs: number): Promise<boolean>;
}

/**
 * Creates an {@link InFlightTracker}. It only counts (no per-item bookkeeping), because it sits
 * on every message's path.
 */
export function createInFlightTracker(): InFlightTracker {
  let size = 0;
  let onIdle: (() => void)[] = [];
  const settled = () => {
    size -= 1;
    if (size === 0 && onIdle.length > 0) {
      const waiting = onIdle;
      onIdle = [];
      for (const resolve of waiting) resolve();
    }
  };
  return {
    get size() {
      return size;
    },
    track(work) {
      size += 1;
      work.then(settled, settled);
      return work;
    },
    drain(timeoutMs) {
      if (size === 0) return Promise.resolve(true);
      return new Promise((resolve) => {
        const timer = setTimeout(() => {
          onIdle = onIdle.filter((waiter) => waiter !== idle);
          resolve(false);
        }, timeoutMs);
        const idle = () => {
          clearTimeout(timer);
          resolve(true);
        };
        onIdle.push(idle);
      });
    },
  };
}
