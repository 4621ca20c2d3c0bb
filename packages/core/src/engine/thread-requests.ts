import { countFileSpan } from './file-boundaries.js';
import { writeOutputSlice } from './output-slices.js';
import { aggregateRangeToRuns } from './range-aggregation.js';
import type {
  AggregateReply,
  AggregateRequest,
  CountRequest,
  MergeSliceRequest,
} from './thread-messages.js';

/** A piece of work for an aggregation thread (see thread-messages.ts). */
export type WorkRequest = CountRequest | AggregateRequest | MergeSliceRequest;

type WithoutId<T> = T extends unknown ? Omit<T, 'id'> : never;

/** A work request before the thread numbers it. */
export type WorkMessage = WithoutId<WorkRequest>;

/**
 * Does one request, wherever it runs: in a worker thread (range-worker.ts) or on the calling
 * thread (local-thread.ts). `onProgress` gets the bytes and rows an aggregation has read.
 */
export function runWorkRequest(
  request: WorkRequest,
  signal: AbortSignal,
  onProgress: (bytesRead: number, rowsRead: number) => void,
): Promise<unknown> {
  if (request.type === 'count') {
    return countFileSpan(request.path, request.start, request.cuts, signal);
  }
  if (request.type === 'merge') return writeOutputSlice(request.slice, request.outPath, signal);
  return aggregateRange(request, signal, onProgress);
}

function aggregateRange(
  request: AggregateRequest,
  signal: AbortSignal,
  onProgress: (bytesRead: number, rowsRead: number) => void,
): Promise<AggregateReply> {
  return aggregateRangeToRuns(
    request.path,
    request.range,
    request.size,
    request.header,
    { runDir: request.runDir, prefix: request.runPrefix },
    {
      ...request.options,
      signal,
      onProgress: ({ bytesRead, rowsRead }) => onProgress(bytesRead, rowsRead),
    },
    request.tuning,
  );
}
