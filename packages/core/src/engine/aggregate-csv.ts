import { isPlaytallyError } from '../errors.js';
import { abortable, abortedError } from './abort.js';
import { type Aggregation, aggregate, DEFAULT_TUNING, type EngineTuning } from './aggregation.js';
import { writeCsv } from './csv-output.js';
import { createSinkWriter } from './sink-writer.js';
import type { AggregateOptions, AggregateStatistics, ByteSink, ByteSource } from './types.js';

/**
 * Aggregates a CSV of song plays into per-song, per-day totals and writes the output CSV:
 * header `Song,Date,Total Number of Plays for Date`, one row per (song, date), songs in Unicode
 * code point order then dates ascending, LF endings, final newline.
 *
 * The input is streamed and never held whole; memory stays within `memoryBudget` by spilling
 * sorted runs to `tempDir`, which are merged at the end and always removed. On success the
 * sink is ended and flushed before the promise resolves. On failure the promise rejects with a
 * {@link PlaytallyError} (`INVALID_ROW`, `MISSING_COLUMNS`, `EMPTY_INPUT`, `LINE_TOO_LONG`,
 * `INVALID_INPUT`, `ABORTED`) and the sink is left as it is, not ended: whatever was written is
 * partial, and the caller decides what to do with it.
 *
 * @example
 * ```ts
 * import { createReadStream, createWriteStream } from 'node:fs';
 * import { aggregateCsv } from '@playtally/core';
 *
 * const stats = await aggregateCsv(createReadStream('plays.csv'), createWriteStream('totals.csv'));
 * console.log(`${stats.rowsRead} rows → ${stats.groupsWritten} groups`);
 * ```
 */
export function aggregateCsv(
  input: ByteSource,
  output: ByteSink,
  options: AggregateOptions = {},
): Promise<AggregateStatistics> {
  return aggregateCsvTuned(input, output, options, DEFAULT_TUNING);
}

/** {@link aggregateCsv} with internal knobs (tests only; not exported from the package). */
export async function aggregateCsvTuned(
  input: ByteSource,
  output: ByteSink,
  options: AggregateOptions,
  tuning: EngineTuning,
): Promise<AggregateStatistics> {
  const writer = createSinkWriter(output);
  let run: Aggregation | undefined;
  try {
    run = await aggregate(input, options, tuning);
    const groups = await writeCsv(run.cursor, writer, options.signal);
    await abortable(writer.end(), options.signal);
    return run.statistics(groups);
  } catch (error) {
    writer.release();
    if (options.signal?.aborted && !isPlaytallyError(error, 'ABORTED'))
      throw abortedError(options.signal);
    throw error;
  } finally {
    await run?.dispose();
  }
}
