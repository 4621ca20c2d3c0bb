import { isPlaytallyError } from '../errors.js';
import { abortable, abortedError } from './abort.js';
import { type Aggregation, DEFAULT_TUNING, type EngineTuning } from './aggregation.js';
import { writeCsv } from './csv-output.js';
import { createSinkWriter } from './sink-writer.js';
import { aggregateAnyInput } from './threaded-aggregation.js';
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
 * With `threads` above 1, an `fs.ReadStream` over a whole regular file that nothing has read
 * from yet is split across that many threads (see {@link aggregateFile}); any other input is
 * read by one thread.
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

/**
 * Aggregates a CSV file like {@link aggregateCsv}, splitting it into byte ranges that start
 * exactly on record boundaries (even when quoted fields hold line breaks) and aggregating them
 * on `threads` worker threads at once; the sorted partial results are merged k-way. The output
 * is byte for byte what one thread would write, errors name the same line (the first bad row of
 * the file, whichever thread meets it), `skip` counts and examples add up across threads, and
 * `memoryBudget` bounds all threads together. A file smaller than a few MiB, or one that is not
 * a regular file (a pipe), is read by one thread.
 *
 * @example
 * ```ts
 * import { createWriteStream } from 'node:fs';
 * import { availableParallelism } from 'node:os';
 * import { aggregateFile } from '@playtally/core';
 *
 * const stats = await aggregateFile('plays.csv', createWriteStream('totals.csv'), {
 *   threads: availableParallelism(),
 * });
 * ```
 */
export function aggregateFile(
  path: string,
  output: ByteSink,
  options: AggregateOptions = {},
): Promise<AggregateStatistics> {
  return aggregateCsvTuned(path, output, options, DEFAULT_TUNING);
}

/** {@link aggregateCsv} with internal knobs (tests only; not exported from the package). */
export async function aggregateCsvTuned(
  input: ByteSource | string,
  output: ByteSink,
  options: AggregateOptions,
  tuning: EngineTuning,
): Promise<AggregateStatistics> {
  const writer = createSinkWriter(output);
  let run: Aggregation | undefined;
  try {
    run = await aggregateAnyInput(input, options, tuning);
    const groups = run.write
      ? await run.write(writer, options.signal)
      : await writeCsv(run.cursor, writer, options.signal);
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
