import { createReadStream } from 'node:fs';
import { open, stat } from 'node:fs/promises';
import { type Aggregation, aggregate, DEFAULT_TUNING, type EngineTuning } from './aggregation.js';
import { type CsvHeader, readCsvHeader } from './csv-header.js';
import type { CsvByteRange, RecordBoundary } from './record-boundaries.js';
import { type RunIndexEntry, writeRun } from './run-file.js';
import type { AggregateOptions, AggregateStatistics } from './types.js';

/** What aggregating one byte range reports. */
export interface RangeStatistics extends AggregateStatistics {
  /**
   * Set only when the range ended inside a quoted field, which happens when stray quotes (a
   * quote inside an unquoted field, which the `skip` policy rejects) fooled the split. Rows
   * from this record start on were not read, and ranges after this one were cut in the wrong
   * places: aggregate from here to the end of the input as one range instead of them.
   */
  readonly resumeAt?: RecordBoundary;
}

/** Options of {@link aggregateFileRange}. */
export interface AggregateRangeOptions extends AggregateOptions {
  /** The header, when already read (see {@link readCsvHeader}); read from the file otherwise. */
  header?: CsvHeader;
}

/**
 * Aggregates one byte range of a CSV file (see {@link findFileBoundaries} and
 * {@link createBoundaryRecorder}) into a sorted partial result at `runPath`, a run file that
 * {@link mergePartialRuns} merges with the other ranges' into the final CSV. Line numbers in
 * errors and rejected rows are those of the whole file. Spill files go to a private directory
 * under `tempDir` and are removed whatever happens; `runPath` is left for the caller.
 *
 * @example
 * ```ts
 * const header = await readCsvHeader(createReadStream('plays.csv'));
 * const stats = await aggregateFileRange('plays.csv', range, '/tmp/part-3.run', { header });
 * ```
 */
export async function aggregateFileRange(
  path: string,
  range: CsvByteRange,
  runPath: string,
  options: AggregateRangeOptions = {},
): Promise<RangeStatistics> {
  const { header: given, ...rest } = options;
  const header = given ?? (await readCsvHeader(createReadStream(path), rest));
  const { size } = await stat(path);
  return aggregateRangeTuned(path, range, size, header, runPath, rest, DEFAULT_TUNING);
}

/** {@link aggregateFileRange} once the header and the file size are known. */
export async function aggregateRangeTuned(
  path: string,
  range: CsvByteRange,
  size: number,
  header: CsvHeader,
  runPath: string,
  options: AggregateOptions,
  tuning: EngineTuning,
  /** Filled with an index of the run file (see `writeRun`). */
  index?: { entries: RunIndexEntry[]; every: number },
): Promise<RangeStatistics> {
  const startedAt = performance.now();
  const before = range.start <= header.dataStart;
  const start = before ? header.dataStart : range.start;
  const line = before ? header.dataLine : range.line;
  const end = Math.min(range.end, size);
  const input =
    start < end ? createReadStream(path, { start, end: end - 1, highWaterMark: 1 << 20 }) : [];
  let run: Aggregation | undefined;
  try {
    run = await aggregate(input, options, tuning, {
      start: { layout: header.columns, line, endsAtSplit: end < size },
      offset: start,
    });
    const file = await open(runPath, 'w');
    let groups: number;
    try {
      groups = await writeRun(run.cursor, file, options.signal, index);
    } finally {
      await file.close();
    }
    const statistics = {
      ...run.statistics(groups),
      durationMs: Math.round(performance.now() - startedAt),
    };
    return run.truncatedAt === undefined
      ? statistics
      : { ...statistics, resumeAt: run.truncatedAt };
  } finally {
    if (!Array.isArray(input)) input.destroy();
    await run?.dispose();
  }
}
