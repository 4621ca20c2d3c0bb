import type { RangeStatistics } from './range-aggregation.js';
import type { RangeThread } from './range-thread.js';
import type { CsvByteRange } from './record-boundaries.js';

/** How one range ended: its statistics, or its error. */
export type RangeOutcome =
  | { readonly ok: true; readonly statistics: RangeStatistics }
  | { readonly ok: false; readonly error: unknown };

/** Runs one range on a thread; `onProgress` gets the range's own bytes and rows. */
export type RunRange = (
  thread: RangeThread,
  range: CsvByteRange,
  index: number,
) => Promise<RangeStatistics>;

/**
 * Runs ranges on a pool of threads, each idle thread taking the next range in input order, and
 * returns the outcomes that decide the result: those of every range up to the first one that
 * failed or ended early (see `RangeStatistics.resumeAt`), in input order.
 *
 * Why not stop at the first failure to arrive: ranges finish in any order, but the error to
 * report is the one a single pass would have met first, the one with the smallest line. A range
 * failing tells nothing about the ranges before it, which may fail on an earlier line, so they
 * run on; only the ranges after it are stopped, since no error of theirs can come first (each
 * line of theirs is later) and their rows are not needed. The same holds for a range that ended
 * early: the ranges after it were cut in the wrong places, so their results, errors included,
 * are meaningless.
 */
export async function runRangesInOrder(
  threads: readonly RangeThread[],
  ranges: readonly CsvByteRange[],
  run: RunRange,
): Promise<RangeOutcome[]> {
  const outcomes: (RangeOutcome | undefined)[] = new Array(ranges.length);
  const runningOn = new Map<number, RangeThread>();
  let next = 0;
  /** The first range (so far) whose outcome decides the result; ranges after it are not needed. */
  let decisive = ranges.length;

  const settle = (index: number, outcome: RangeOutcome) => {
    outcomes[index] = outcome;
    const ended = !outcome.ok || outcome.statistics.resumeAt !== undefined;
    if (!ended || index >= decisive) return;
    decisive = index;
    for (const [other, thread] of runningOn) if (other > index) thread.abort();
  };

  const worker = async (thread: RangeThread) => {
    while (next < ranges.length && next <= decisive) {
      const index = next++;
      runningOn.set(index, thread);
      try {
        settle(index, { ok: true, statistics: await run(thread, ranges[index]!, index) });
      } catch (error) {
        settle(index, { ok: false, error });
      } finally {
        runningOn.delete(index);
      }
    }
  };
  await Promise.all(threads.map(worker));
  return outcomes.slice(0, Math.min(decisive + 1, ranges.length)) as RangeOutcome[];
}
