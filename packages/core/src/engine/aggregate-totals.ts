import { PlaytallyError } from '../errors.js';
import { checkAborted } from './abort.js';
import { DEFAULT_TUNING, type EngineTuning } from './aggregation.js';
import { formatDayNumber } from './calendar.js';
import { aggregateAnyInput } from './threaded-aggregation.js';
import type { AggregateOptions, AggregateStatistics, ByteSource, SongDayTotal } from './types.js';

/**
 * The result of {@link aggregateTotals}: iterate it (once) for the totals in output order;
 * `statistics` is set once the iteration has run to the end.
 */
export interface AggregateTotals extends AsyncIterable<SongDayTotal> {
  /** The run's statistics; `undefined` until the iteration has finished. */
  readonly statistics: AggregateStatistics | undefined;
}

/**
 * Aggregates like {@link aggregateCsv} but yields the totals as objects instead of writing a
 * CSV: `{ song, date, total }` per (song, date), songs in Unicode code point order then dates
 * ascending, totals as exact bigints. Nothing is read before iteration starts. Breaking out of
 * the loop stops reading and removes any temporary files; errors are thrown from the loop.
 *
 * @example
 * ```ts
 * const totals = aggregateTotals(createReadStream('plays.csv'));
 * for await (const { song, date, total } of totals) console.log(song, date, total);
 * console.log(totals.statistics?.rowsRead);
 * ```
 */
export function aggregateTotals(
  input: ByteSource,
  options: AggregateOptions = {},
): AggregateTotals {
  return aggregateTotalsTuned(input, options, DEFAULT_TUNING);
}

/** {@link aggregateTotals} with internal knobs (tests only; not exported from the package). */
export function aggregateTotalsTuned(
  input: ByteSource,
  options: AggregateOptions,
  tuning: EngineTuning,
): AggregateTotals {
  let statistics: AggregateStatistics | undefined;
  let iterated = false;
  async function* totals(): AsyncGenerator<SongDayTotal> {
    const run = await aggregateAnyInput(input, options, tuning);
    try {
      const { cursor } = run;
      let groups = 0;
      let lastDay = -1;
      let date = '';
      while (cursor.nextSong()) {
        const song = cursor.song.toString('utf8');
        while (cursor.nextDay()) {
          if (cursor.day !== lastDay) {
            lastDay = cursor.day;
            date = formatDayNumber(lastDay);
          }
          const total = !Number.isNaN(cursor.total) ? BigInt(cursor.total) : cursor.bigTotal;
          if (++groups % 4096 === 0) checkAborted(options.signal);
          yield { song, date, total };
        }
      }
      statistics = run.statistics(groups);
    } finally {
      await run.dispose();
    }
  }
  return {
    get statistics() {
      return statistics;
    },
    [Symbol.asyncIterator]() {
      if (iterated)
        throw new PlaytallyError(
          'CONFLICT',
          'the totals of aggregateTotals() can be iterated only once',
        );
      iterated = true;
      return totals();
    },
  };
}
