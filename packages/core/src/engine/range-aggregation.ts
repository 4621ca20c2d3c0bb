import { createReadStream } from 'node:fs';
import { open, rename, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { PlaytallyError } from '../errors.js';
import { type Aggregation, aggregate, DEFAULT_TUNING, type EngineTuning } from './aggregation.js';
import { type CsvHeader, readCsvHeader } from './csv-header.js';
import type { GroupCursor } from './group-cursor.js';
import type { IndexedRun } from './output-slices.js';
import type { CsvByteRange, RecordBoundary } from './record-boundaries.js';
import { type RunIndexEntry, writeRun } from './run-file.js';
import type { AggregateOptions, AggregateStatistics, ByteSource } from './types.js';

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

/** Options of {@link aggregateSourceRange}. */
export interface AggregateSourceRangeOptions extends AggregateOptions {
  /** The input's header (see {@link readCsvHeader}), read from the start of the input. */
  header: CsvHeader;
  /** Whether more of the input follows the range (so it ends at a split, not at the end). */
  endsAtSplit: boolean;
}

/**
 * {@link aggregateFileRange} for a range whose bytes come from anywhere (a ranged read of a
 * stored blob, say): `source` yields exactly the bytes `[range.start, range.end)` of the input,
 * which must lie after the header. Writes the sorted partial result to the run file at
 * `runPath`; line numbers in errors are those of the whole input.
 *
 * @example
 * ```ts
 * const source = createReadStream('plays.csv', { start: range.start, end: range.end - 1 });
 * const stats = await aggregateSourceRange(source, range, '/tmp/part-3.run', { header, endsAtSplit: true });
 * ```
 */
export function aggregateSourceRange(
  source: ByteSource,
  range: CsvByteRange,
  runPath: string,
  options: AggregateSourceRangeOptions,
): Promise<RangeStatistics> {
  const { header, endsAtSplit, ...rest } = options;
  if (range.start < header.dataStart || range.end < range.start) {
    throw new PlaytallyError(
      'VALIDATION_FAILED',
      `range [${range.start}, ${range.end}) must lie after the header (byte ${header.dataStart})`,
      { details: { start: range.start, end: range.end } },
    );
  }
  const position = { start: range.start, line: range.line, endsAtSplit, layout: header.columns };
  return scanRange(source, position, rest, DEFAULT_TUNING, async (run) => {
    const groups = await writeRunFile(run.cursor, runPath, rest.signal);
    return { groups, value: undefined };
  }).then(({ statistics }) => statistics);
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
  const before = range.start <= header.dataStart;
  const start = before ? header.dataStart : range.start;
  const line = before ? header.dataLine : range.line;
  const end = Math.min(range.end, size);
  const input =
    start < end ? createReadStream(path, { start, end: end - 1, highWaterMark: 1 << 20 }) : [];
  const position = { start, line, endsAtSplit: end < size, layout: header.columns };
  return scanRange(input, position, options, tuning, use);
}

/** Where a range's bytes lie in the whole input, and the input's column layout. */
interface RangePosition {
  readonly start: number;
  readonly line: number;
  readonly endsAtSplit: boolean;
  readonly layout: CsvHeader['columns'];
}

/** Aggregates the bytes of one range given by `input`, hands the result to `use`, and cleans up. */
async function scanRange<T>(
  input: ByteSource,
  position: RangePosition,
  options: AggregateOptions,
  tuning: EngineTuning,
  use: (run: Aggregation) => Promise<{ groups: number; value: T }>,
): Promise<{ statistics: RangeStatistics; value: T }> {
  const startedAt = performance.now();
  const { start, line, endsAtSplit } = position;
  let run: Aggregation | undefined;
  try {
    run = await aggregate(input, options, tuning, {
      start: { layout: position.layout, line, endsAtSplit },
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
    destroySource(input);
    await run?.dispose();
  }
}

function destroySource(input: ByteSource): void {
  const destroy = (input as { destroy?: unknown }).destroy;
  if (typeof destroy === 'function') destroy.call(input);
}
