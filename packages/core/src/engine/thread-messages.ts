import { PlaytallyError, type PlaytallyErrorCode } from '../errors.js';
import type { EngineTuning } from './aggregation.js';
import type { CsvHeader } from './csv-header.js';
import type { IndexedRun, OutputSlice } from './output-slices.js';
import type { QuoteLineCounts } from './quote-line-counts.js';
import type { RangeStatistics } from './range-aggregation.js';
import type { CsvByteRange } from './record-boundaries.js';
import type { InvalidRowPolicy } from './types.js';

/*
 * The messages between the main thread and an aggregation thread. Work is asked for one
 * request at a time; an answer names the request it settles.
 */

/** Count quotes and line feeds of a file from `start` up to each cut (the last ends the span). */
export interface CountRequest {
  readonly type: 'count';
  readonly id: number;
  readonly path: string;
  readonly start: number;
  readonly cuts: readonly number[];
}

/** The options a thread's run takes (all plain data). */
export interface RangeRunOptions {
  readonly onInvalid: InvalidRowPolicy;
  readonly memoryBudget: number;
  readonly maxRecordBytes: number;
  readonly maxRejectedExamples: number;
  readonly tempDir: string;
  readonly progressIntervalMs: number;
}

/** Aggregate one range of a file into a sorted run file. */
export interface AggregateRequest {
  readonly type: 'aggregate';
  readonly id: number;
  readonly path: string;
  readonly size: number;
  readonly range: CsvByteRange;
  readonly header: CsvHeader;
  /** Where the range's sorted runs go, named `runPrefix-k.run`. */
  readonly runDir: string;
  readonly runPrefix: string;
  readonly options: RangeRunOptions;
  readonly tuning: EngineTuning;
}

/** What the aggregate request answers. */
export interface AggregateReply {
  readonly statistics: RangeStatistics;
  readonly runs: IndexedRun[];
}

/** Merge one slice of the output from the runs into a file of CSV rows. */
export interface MergeSliceRequest {
  readonly type: 'merge';
  readonly id: number;
  readonly slice: OutputSlice;
  readonly outPath: string;
}

/** Stop request `id` (it then fails with `ABORTED`); nothing happens if it already ended. */
export interface AbortRequest {
  readonly type: 'abort';
  readonly id: number;
}

export type ThreadRequest = CountRequest | AggregateRequest | MergeSliceRequest | AbortRequest;

export type ThreadReply =
  | { readonly type: 'done'; readonly id: number; readonly value: unknown }
  | { readonly type: 'failed'; readonly id: number; readonly error: SerializedError }
  | {
      readonly type: 'progress';
      readonly id: number;
      readonly bytesRead: number;
      readonly rowsRead: number;
    };

/** What the counting request answers. */
export type CountReply = QuoteLineCounts[];

/** An error as plain data, so it crosses threads with its code and details. */
export interface SerializedError {
  readonly message: string;
  readonly stack?: string | undefined;
  /** A PlaytallyError's code, or a system error's (`ENOSPC`, …). */
  readonly code?: string | undefined;
  readonly details?: Readonly<Record<string, unknown>> | undefined;
  readonly playtally: boolean;
}

export function serializeError(error: unknown): SerializedError {
  if (error instanceof PlaytallyError) {
    return {
      message: error.message,
      stack: error.stack,
      code: error.code,
      details: error.details,
      playtally: true,
    };
  }
  const plain = error instanceof Error ? error : new Error(String(error));
  const code = (plain as NodeJS.ErrnoException).code;
  return { message: plain.message, stack: plain.stack, code, playtally: false };
}

export function deserializeError(error: SerializedError): Error {
  if (error.playtally) {
    return new PlaytallyError(error.code as PlaytallyErrorCode, error.message, {
      ...(error.details === undefined ? {} : { details: { ...error.details } }),
    });
  }
  const rebuilt = new Error(error.message) as NodeJS.ErrnoException;
  if (error.code !== undefined) rebuilt.code = error.code;
  if (error.stack !== undefined) rebuilt.stack = error.stack;
  return rebuilt;
}
