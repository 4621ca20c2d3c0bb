import { isPlaytallyError } from '../errors.js';
import { abortable, abortedError } from './abort.js';
import { writeCsv } from './csv-output.js';
import type { GroupCursor } from './group-cursor.js';
import { MergeCursor } from './merge-cursor.js';
import type { RangeStatistics } from './range-aggregation.js';
import { RunFileCursor } from './run-file.js';
import { createSinkWriter } from './sink-writer.js';
import type { AggregateStatistics, ByteSink, RejectedRow } from './types.js';

/** The k-way merge of partial run files, summing equal (song, day) groups; `close()` closes them all. */
export function mergeRunFiles(runPaths: readonly string[]): GroupCursor {
  const cursors: GroupCursor[] = [];
  try {
    for (const path of runPaths) cursors.push(new RunFileCursor(path));
  } catch (error) {
    for (const cursor of cursors) cursor.close();
    throw error;
  }
  return new MergeCursor(cursors);
}

/**
 * Merges the sorted partial results of byte ranges (written by {@link aggregateFileRange}) into
 * the final output CSV, exactly as one run over the whole input would have written it. Equal
 * (song, date) groups are summed exactly; the run files are read, not removed. On success the
 * sink is ended and flushed; on failure it is left open, as by {@link aggregateCsv}. Resolves to
 * the number of output rows.
 *
 * @example
 * ```ts
 * const rows = await mergePartialRuns(['part-0.run', 'part-1.run'], createWriteStream('totals.csv'));
 * ```
 */
export async function mergePartialRuns(
  runPaths: readonly string[],
  output: ByteSink,
  options: { signal?: AbortSignal } = {},
): Promise<number> {
  const { signal } = options;
  const writer = createSinkWriter(output);
  let cursor: GroupCursor | undefined;
  try {
    cursor = mergeRunFiles(runPaths);
    const rows = await writeCsv(cursor, writer, signal);
    await abortable(writer.end(), signal);
    return rows;
  } catch (error) {
    writer.release();
    if (signal?.aborted && !isPlaytallyError(error, 'ABORTED')) throw abortedError(signal);
    throw error;
  } finally {
    cursor?.close();
  }
}

/**
 * The statistics of a whole input from those of its ranges, in input order: counts add up, and
 * the rejected examples are the first `maxRejectedExamples` in line order. `groupsWritten` is
 * that of the merged output; `durationMs` is the caller's.
 */
export function combineRangeStatistics(
  ranges: readonly RangeStatistics[],
  headerBytes: number,
  maxRejectedExamples: number,
): Omit<AggregateStatistics, 'groupsWritten' | 'durationMs'> {
  const rejectedExamples: RejectedRow[] = [];
  let bytesRead = headerBytes;
  let rowsRead = 0;
  let rowsRejected = 0;
  let spilledRuns = 0;
  for (const range of ranges) {
    bytesRead += range.bytesRead;
    rowsRead += range.rowsRead;
    rowsRejected += range.rowsRejected;
    spilledRuns += range.spilledRuns;
    for (const example of range.rejectedExamples) {
      if (rejectedExamples.length < maxRejectedExamples) rejectedExamples.push(example);
    }
  }
  return { bytesRead, rowsRead, rowsRejected, rejectedExamples, spilledRuns };
}
