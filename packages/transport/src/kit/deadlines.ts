interface Pending {
  readonly deadline: number;
  readonly expire: () => void;
}

/** Bounds many concurrent operations in time. */
export interface Deadlines {
  /** Settles like `work`, or rejects with `onTimeout()` once `timeoutMs` has passed (±250 ms). */
  race<T>(work: Promise<T>, timeoutMs: number, onTimeout: () => Error): Promise<T>;
}

/**
 * Deadlines for many operations sharing one sweeping timer: a timer per publish costs more
 * than the publish itself when thousands are in flight. For adapters that bound publishes
 * through a broker outage.
 *
 * @example
 * ```ts
 * import { createDeadlines } from '@playtally/transport';
 * const deadlines = createDeadlines();
 * await deadlines.race(fetch('http://127.0.0.1:8080/'), 1000, () => new Error('no answer within 1 s'));
 * ```
 */
export function createDeadlines(): Deadlines {
  const pending = new Set<Pending>();
  let sweeper: NodeJS.Timeout | undefined;

  function sweep(): void {
    const now = Date.now();
    for (const entry of pending) if (entry.deadline <= now) entry.expire();
    if (pending.size === 0) {
      clearInterval(sweeper);
      sweeper = undefined;
    }
  }

  return {
    race(work, timeoutMs, onTimeout) {
      return new Promise((resolve, reject) => {
        const entry: Pending = {
          deadline: Date.now() + timeoutMs,
          expire: () => {
            pending.delete(entry);
            reject(onTimeout());
          },
        };
        pending.add(entry);
        if (sweeper === undefined) {
          sweeper = setInterval(sweep, Math.min(250, timeoutMs));
          sweeper.unref();
        }
        work.then(
          (value) => {
            pending.delete(entry);
            resolve(value);
          },
          (error: unknown) => {
            pending.delete(entry);
            reject(error);
          },
        );
      });
    },
  };
}
