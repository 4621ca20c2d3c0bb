import { tmpdir } from 'node:os';
import { PlaytallyError } from '../errors.js';
import { abortable, checkAborted } from './abort.js';
import { CsvScanner, type RecordStart, type ScanStart } from './csv-scanner.js';
import type { GroupCursor } from './group-cursor.js';
import { MergeCursor } from './merge-cursor.js';
import type { IndexedRun } from './output-slices.js';
import { RowAggregator } from './row-aggregator.js';
import type { SinkWriter } from './sink-writer.js';
import { sortTable } from './sorted-table.js';
import { sourceChunks } from './source-chunks.js';
import { SpillRuns } from './spill-runs.js';
import type { AggregateOptions, AggregateStatistics, ByteSource } from './types.js';

/** Default of {@link AggregateOptions.memoryBudget}: 256 MiB. */
export const DEFAULT_MEMORY_BUDGET = 256 * 1024 * 1024;
/** Default of {@link AggregateOptions.maxRecordBytes}: 1 MiB. */
export const DEFAULT_MAX_RECORD_BYTES = 1024 * 1024;

/** Internal knobs, fixed in production; tests turn them down to reach rare paths with small inputs. */
export interface EngineTuning {
  /** Bytes gathered before a scan. */
  readonly minBatchBytes: number;
  /** Runs merged at once. */
  readonly maxFanIn: number;
  /** Smallest byte range worth a thread of its own; smaller files use fewer threads. */
  readonly minRangeBytes: number;
  /** Byte ranges per thread (more than one only to test many split points with few threads). */
  readonly rangesPerThread: number;
  /** Keep threads for the next run instead of stopping them after each (see thread-pool.ts). */
  readonly reuseThreads: boolean;
  /** Partial groups from which the threads also share the final merge (see merged-parts.ts). */
  readonly minSlicedMergeGroups: number;
  /** Groups between entries of a partial run's index, where a slice of the merge can start. */
  readonly runIndexEvery: number;
}

/** The tuning every public entry point uses. */
export const DEFAULT_TUNING: EngineTuning = {
  minBatchBytes: 64 * 1024,
  maxFanIn: 64,
  minRangeBytes: 8 * 1024 * 1024,
  rangesPerThread: 1,
  reuseThreads: false,
  minSlicedMergeGroups: 1 << 20,
  runIndexEvery: 16 * 1024,
};

/** The input, read and grouped: a sorted cursor to write out, then `dispose()`. */
export interface Aggregation {
  readonly cursor: GroupCursor;
  /**
   * The sorted pieces that {@link cursor} merges, for a caller that merges them elsewhere: the
   * spilled runs (files that `dispose()` removes unless moved away first) and the sorted table,
   * if it holds groups. Use either the pieces or the cursor, not both.
   */
  readonly pieces?: () => { runs: readonly IndexedRun[]; table: GroupCursor | undefined };
  /** Where a split range ended inside a record (see `ScanStart.endsAtSplit`); rows from there on were not read. */
  readonly truncatedAt: RecordStart | undefined;
  /**
   * Writes the output CSV itself, when it can do better than `writeCsv` over the cursor (several
   * threads merging at once); resolves to the rows written. Absent otherwise.
   */
  readonly write?: (writer: SinkWriter, signal: AbortSignal | undefined) => Promise<number>;
  /** The statistics, timed up to now. */
  statistics(groupsWritten: number): AggregateStatistics;
  /** Closes run files and removes the temporary directory. Idempotent; never throws. */
  dispose(): Promise<void>;
}

/** One byte range of a larger input: where the scan starts, and the range's offset in the input. */
export interface InputRange {
  readonly start: ScanStart;
  readonly offset: number;
}

/**
 * Reads the whole input through the scanner into the group table, spilling sorted runs when
 * the table outgrows the memory budget, and returns a cursor over all groups in output order
 * (the sorted table, or the k-way merge of the runs and the table). Everything it created is
 * released before it rejects.
 */
export async function aggregate(
  input: ByteSource,
  options: AggregateOptions = {},
  tuning: EngineTuning = DEFAULT_TUNING,
  range?: InputRange,
): Promise<Aggregation> {
  const startedAt = performance.now();
  const settings = resolveOptions(options);
  const { signal } = options;
  checkAborted(signal);
  const rows = new RowAggregator(
    settings.onInvalid,
    settings.maxRejectedExamples,
    settings.memoryBudget,
  );
  const scanner = new CsvScanner(
    rows,
    settings.maxRecordBytes,
    tuning.minBatchBytes,
    range?.start,
    range?.offset,
  );
  const runs = new SpillRuns(settings.tempDir, signal, tuning.maxFanIn, tuning.runIndexEvery);
  const chunks = sourceChunks(input);
  let bytesRead = 0;
  let reportedAt = performance.now();
  const report = () => options.onProgress?.({ bytesRead, rowsRead: scanner.rowsRead });
  let spilledRuns = 0;
  const spill = async () => {
    checkAborted(signal);
    spilledRuns++;
    await runs.write(sortTable(rows.table, rows.songs));
    rows.clear();
  };

  let table: GroupCursor | undefined;
  try {
    for (;;) {
      const next = await abortable(chunks.next(), signal);
      if (next.done) break;
      bytesRead += next.value.length;
      scanner.append(next.value);
      if (!scanner.ready) continue;
      while (scanner.scan(false)) await spill();
      checkAborted(signal);
      if (options.onProgress && performance.now() - reportedAt >= settings.progressIntervalMs) {
        reportedAt = performance.now();
        report();
      }
    }
    while (scanner.scan(true)) await spill();
    scanner.finish();
    report();
    await runs.compact();
    if (runs.count === 0 || rows.hasGroups) table = sortTable(rows.table, rows.songs);
  } catch (error) {
    chunks.return?.().catch(() => {});
    await runs.dispose();
    throw error;
  }
  let cursor: GroupCursor | undefined;
  return {
    get cursor() {
      cursor ??=
        runs.count === 0 ? table! : new MergeCursor([...runs.cursors(), ...(table ? [table] : [])]);
      return cursor;
    },
    pieces: () => ({ runs: runs.indexed(), table }),
    truncatedAt: scanner.truncatedAt,
    statistics: (groupsWritten) => ({
      bytesRead,
      rowsRead: scanner.rowsRead,
      rowsRejected: rows.rowsRejected,
      rejectedExamples: rows.rejectedExamples,
      groupsWritten,
      spilledRuns,
      durationMs: Math.round(performance.now() - startedAt),
    }),
    dispose: async () => {
      cursor?.close();
      await runs.dispose().catch(() => {});
    },
  };
}

/** The options of a run with their defaults filled in. */
export interface Settings {
  onInvalid: 'fail' | 'skip';
  memoryBudget: number;
  maxRecordBytes: number;
  tempDir: string;
  progressIntervalMs: number;
  maxRejectedExamples: number;
  threads: number;
}

/** Fills in defaults and checks every option; throws `VALIDATION_FAILED` naming a bad one. */
export function resolveOptions(options: AggregateOptions): Settings {
  const settings: Settings = {
    onInvalid: options.onInvalid ?? 'fail',
    memoryBudget: options.memoryBudget ?? DEFAULT_MEMORY_BUDGET,
    maxRecordBytes: options.maxRecordBytes ?? DEFAULT_MAX_RECORD_BYTES,
    tempDir: options.tempDir ?? tmpdir(),
    progressIntervalMs: options.progressIntervalMs ?? 250,
    maxRejectedExamples: options.maxRejectedExamples ?? 5,
    threads: options.threads ?? 1,
  };
  if (settings.onInvalid !== 'fail' && settings.onInvalid !== 'skip') {
    throw invalidOption('onInvalid', 'must be "fail" or "skip"');
  }
  for (const name of [
    'memoryBudget',
    'maxRecordBytes',
    'progressIntervalMs',
    'maxRejectedExamples',
  ] as const) {
    const value = settings[name];
    if (!Number.isFinite(value) || value < 0)
      throw invalidOption(name, 'must be a non-negative number');
  }
  if (!Number.isInteger(settings.threads) || settings.threads < 1)
    throw invalidOption('threads', 'must be a whole number of at least 1');
  if (settings.maxRecordBytes < 64) throw invalidOption('maxRecordBytes', 'must be at least 64');
  return settings;
}

function invalidOption(name: string, rule: string): PlaytallyError {
  return new PlaytallyError('VALIDATION_FAILED', `option ${name} ${rule}`, {
    details: { option: name },
  });
}
