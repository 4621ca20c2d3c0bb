import type { Readable, Writable } from 'node:stream';

/**
 * Anything the engine can read bytes from: a Node readable, a web `ReadableStream`, or any
 * (async) iterable of byte chunks. A chunk, once yielded, belongs to the reader: the source must
 * not write into it again (readers may keep several before using them).
 */
export type ByteSource =
  | Readable
  | ReadableStream<Uint8Array>
  | AsyncIterable<Uint8Array>
  | Iterable<Uint8Array>;

/** Where the output CSV goes: a Node writable or a web `WritableStream`. */
export type ByteSink = Writable | WritableStream<Uint8Array>;

/** What to do with a row that does not validate. */
export type InvalidRowPolicy = 'fail' | 'skip';

/** Options of {@link aggregateCsv} and {@link aggregateTotals}. */
export interface AggregateOptions {
  /** `fail` stops at the first bad row naming its line; `skip` counts and reports. @default 'fail' */
  onInvalid?: InvalidRowPolicy;
  /** Bytes the group table may use before sorted runs spill to disk. @default 268435456 (256 MiB) */
  memoryBudget?: number;
  /** Directory for spill files. @default os.tmpdir() */
  tempDir?: string;
  /** Stops the run promptly; the returned promise rejects with code `ABORTED`. */
  signal?: AbortSignal;
  /** Called with progress at most every `progressIntervalMs` and once at the end. */
  onProgress?: (progress: AggregateProgress) => void;
  /** @default 250 */
  progressIntervalMs?: number;
  /** How many rejected rows `skip` keeps as examples. @default 5 */
  maxRejectedExamples?: number;
  /**
   * Longest record, in bytes with its line ending; a longer one fails with `LINE_TOO_LONG`, so
   * memory stays bounded even on a file that is one huge line. @default 1048576 (1 MiB)
   */
  maxRecordBytes?: number;
  /**
   * Threads (`worker_threads`) that aggregate byte ranges of the input in parallel. Only a
   * file can be split: {@link aggregateFile}, or an `fs.ReadStream` of a whole regular file
   * given to {@link aggregateCsv} before anything was read from it. Any other input is read by
   * one thread, and so is a file of less than 8 MiB per thread. `memoryBudget` is shared among
   * the threads (each extra one gives up 16 MiB for its own runtime); the output, errors and
   * statistics are the same as with one thread. @default 1
   */
  threads?: number;
}

/** Progress of a run. */
export interface AggregateProgress {
  readonly bytesRead: number;
  readonly rowsRead: number;
}

/** A row the `skip` policy rejected. */
export interface RejectedRow {
  /** 1-based physical line number where the record starts (the header is line 1). */
  readonly line: number;
  readonly reason: string;
}

/** What a finished run reports. */
export interface AggregateStatistics {
  readonly bytesRead: number;
  /** Data records read (the header excluded), rejected ones included. */
  readonly rowsRead: number;
  readonly rowsRejected: number;
  readonly rejectedExamples: readonly RejectedRow[];
  /** Output rows: distinct (song, date) pairs. */
  readonly groupsWritten: number;
  /** Sorted runs written to disk because the table outgrew the memory budget. */
  readonly spilledRuns: number;
  readonly durationMs: number;
}

/** One output row. `total` is a bigint: totals are exact at any size. */
export interface SongDayTotal {
  readonly song: string;
  /** `YYYY-MM-DD` */
  readonly date: string;
  readonly total: bigint;
}
