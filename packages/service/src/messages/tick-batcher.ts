import { PlaytallyError } from '@playtally/core';

/** Items of one turn of the event loop, handled together: {@link createTickBatcher}. */
export interface TickBatcher<I, O> {
  /**
   * Resolves with the outcome of `item` once its batch is done. Rejects at once with
   * `BACKLOG_FULL` (details: `{ component, waiting, limit, retryAfterSeconds }`) while
   * `maxPending` items wait already.
   */
  add(item: I): Promise<O>;
  /** Items queued or in a batch being run now. */
  pending(): number;
}

/** Options of {@link createTickBatcher}. */
export interface TickBatcherOptions<I, O> {
  /** Runs one batch: resolves with one outcome per item, in order. */
  run(items: readonly I[]): Promise<readonly O[]>;
  /** Most items per batch. @default 100 */
  maxBatch?: number;
  /** Most items waiting (queued or running) before `add` refuses more. @default unbounded */
  maxPending?: number;
  /** What the items wait for, named in `BACKLOG_FULL`. @default 'database' */
  component?: string;
}

interface Pending<I, O> {
  readonly item: I;
  resolve(value: O): void;
  reject(error: unknown): void;
}

/**
 * Group commit: every item added in the same turn of the event loop goes to one `run`, up to
 * `maxBatch` at a time, so concurrent requests share the cost of one transaction instead of
 * paying one each, and each still awaits its own outcome. If a batch fails, each of its items
 * is run again alone: an item that cannot be written fails only its own caller, and an error of
 * the database itself reaches every caller of the batch (none of which was acknowledged).
 */
export function createTickBatcher<I, O>(options: TickBatcherOptions<I, O>): TickBatcher<I, O> {
  const { run } = options;
  const maxBatch = options.maxBatch ?? 100;
  const maxPending = options.maxPending ?? Number.POSITIVE_INFINITY;
  const component = options.component ?? 'database';
  let queue: Pending<I, O>[] = [];
  let scheduled = false;
  let waiting = 0;

  const settle = (outcome: () => void): void => {
    waiting -= 1;
    outcome();
  };

  const commit = async (batch: readonly Pending<I, O>[]): Promise<void> => {
    try {
      const outcomes = await run(batch.map((pending) => pending.item));
      if (outcomes.length !== batch.length) {
        throw new Error(`a batch of ${batch.length} returned ${outcomes.length} outcomes`);
      }
      for (const [index, pending] of batch.entries()) {
        settle(() => pending.resolve(outcomes[index] as O));
      }
    } catch (error) {
      if (batch.length === 1) return settle(() => batch[0]!.reject(error));
      await Promise.all(batch.map((pending) => commit([pending])));
    }
  };

  const flush = (): void => {
    scheduled = false;
    const taken = queue;
    queue = [];
    for (let at = 0; at < taken.length; at += maxBatch) {
      void commit(taken.slice(at, at + maxBatch));
    }
  };

  return {
    add(item) {
      if (waiting >= maxPending) {
        return Promise.reject(
          new PlaytallyError(
            'BACKLOG_FULL',
            `${waiting} writes are waiting for the ${component} (limit ${maxPending}); retry later`,
            { details: { component, waiting, limit: maxPending, retryAfterSeconds: 1 } },
          ),
        );
      }
      waiting += 1;
      return new Promise<O>((resolve, reject) => {
        queue.push({ item, resolve, reject });
        if (scheduled) return;
        scheduled = true;
        setImmediate(flush);
      });
    },
    pending: () => waiting,
  };
}
