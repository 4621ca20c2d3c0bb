import { createReadStream } from 'node:fs';
import { open, rename, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { type Aggregation, aggregate, DEFAULT_TUNING, type EngineTuning } from './aggregation.js';
import { type CsvHeader, readCsvHeader } from './csv-header.js';
import type { GroupCursor } from './group-cursor.js';
import type { IndexedRun } from './output-slices.js';
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

/** {@link aggregateFileRange} once the header and the file size are known: one run file. */
export function aggregateRangeTuned(
  path: string,
  range: CsvByteRange,
  size: number,
  header: CsvHeader,
  runPath: string,
  options: AggregateOptions,
  tuning: EngineTuning,
): Promise<RangeStatistics> {
  return withRange(path, range, size, header, options, tuning, async (run) => {
    const groups = await writeRunFile(run.cursor, runPath, options.signal);
    return { groups, value: undefined };
  }).then(({ statistics }) => statistics);
}

/**
 * Aggregates a range into several sorted runs under `runDir`, named `prefix-k.run`, each with
 * an index: the runs spilled on the way (moved out of the spill directory) and the final table.
 * Merging them is left to whoever merges all ranges, which saves reading back and rewriting
 * what was spilled.
 */
export function aggregateRangeToRuns(
  path: string,
  range: CsvByteRange,
  size: number,
  header: CsvHeader,
  target: { runDir: string; prefix: string },
  options: AggregateOptions,
  tuning: EngineTuning,
): Promise<{ statistics: RangeStatistics; runs: IndexedRun[] }> {
  return withRange(path, range, size, header, options, tuning, async (run) => {
    const pieces = run.pieces!();
    const runs: IndexedRun[] = [];
    for (const spilled of pieces.runs) {
      const moved = join(target.runDir, `${target.prefix}-${runs.length}.run`);
      await rename(spilled.path, moved);
      runs.push({ ...spilled, path: moved });
    }
    if (pieces.table !== undefined) {
      const tablePath = join(target.runDir, `${target.prefix}-${runs.length}.run`);
      const index = { entries: [] as RunIndexEntry[], every: tuning.runIndexEvery };
      const groups = await writeRunFile(pieces.table, tablePath, options.signal, index);
      runs.push({ path: tablePath, groups, index: index.entries });
    }
    return { groups: runs.reduce((sum, r) => sum + r.groups, 0), value: runs };
  }).then(({ statistics, value }) => ({ statistics, runs: value }));
}

async function writeRunFile(
  cursor: GroupCursor,
  runPath: string,
  signal: AbortSignal | undefined,
  index?: { entries: RunIndexEntry[]; every: number },
): Promise<number> {
  const file = await open(runPath, 'w');
  try {
    return await writeRun(cursor, file, signal, index);
  } finally {
    await file.close();
  }
}

/** Aggregates `[range.start, range.end)` (past the header), hands the result to `use`, and cleans up. */
async function withRange<T>(
  path: string,
  range: CsvByteRange,
  size: number,
  header: CsvHeader,
  options: AggregateOptions,
  tuning: EngineTuning,
  use: (run: Aggregation) => Promise<{ groups: number; value: T }>,
): Promise<{ statistics: RangeStatistics; value: T }> {
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
    const { groups, value } = await use(run);
    const statistics = {
      ...run.statistics(groups),
      durationMs: Math.round(performance.now() - startedAt),
    };
    const resumeAt = run.truncatedAt;
    return { statistics: resumeAt === undefined ? statistics : { ...statistics, resumeAt }, value };
  } finally {
    if (!Array.isArray(input)) input.destroy();
    await run?.dispose();
  }
}
