import { PassThrough } from 'node:stream';
import type { AggregateOptions, AggregateStatistics } from '@playtally/core';
import { aggregateCsv } from '@playtally/core';
import type { BlobStore } from '../ports/blob-store.js';

/** Options of {@link aggregateBlob}. */
export interface AggregateBlobOptions extends AggregateOptions {
  blobs: BlobStore;
  /** Blob key of the input CSV. */
  inputKey: string;
  /**
   * Told the total bytes of the input the engine has taken so far, at every chunk; unlike
   * `onProgress` it keeps up until the very chunk a run fails on.
   */
  onRead?: (bytesRead: number) => void;
}

/** What {@link aggregateBlob} produced. */
export interface AggregateBlobResult {
  /** Blob key of the complete output; it exists only once the run succeeded. */
  readonly resultKey: string;
  readonly statistics: AggregateStatistics;
}

/**
 * Streams a stored CSV through the engine into a new blob. The blob store's `put` is atomic, so
 * the result key appears only when the whole output is written: a failed or aborted run leaves
 * nothing behind and nobody can ever read half a result.
 */
export async function aggregateBlob(options: AggregateBlobOptions): Promise<AggregateBlobResult> {
  const { blobs, inputKey, onRead, ...aggregateOptions } = options;
  const input = await blobs.read(inputKey);
  const source = onRead ? countRead(input, onRead) : input;
  const pipe = new PassThrough();
  // The store reads `pipe` and sees its failure; this listener only keeps an error raised
  // before the store started reading from becoming an uncaught exception.
  pipe.on('error', () => {});
  const stored = blobs.put(pipe, {
    prefix: 'results',
    ...(options.signal ? { signal: options.signal } : {}),
  });
  // Attach a handler now: if the engine fails first, `stored` rejects before it is awaited.
  stored.catch(() => {});
  let statistics: AggregateStatistics;
  try {
    statistics = await aggregateCsv(source, pipe, aggregateOptions);
  } catch (error) {
    input.destroy();
    pipe.destroy(error instanceof Error ? error : new Error(String(error)));
    const leftover = await stored.catch(() => undefined);
    if (leftover) await blobs.delete(leftover.key).catch(() => {});
    throw error;
  }
  if (!pipe.writableEnded) pipe.end();
  const blob = await stored;
  return { resultKey: blob.key, statistics };
}

async function* countRead(
  input: AsyncIterable<Uint8Array>,
  onRead: (bytesRead: number) => void,
): AsyncGenerator<Uint8Array> {
  let bytesRead = 0;
  for await (const chunk of input) {
    bytesRead += chunk.byteLength;
    onRead(bytesRead);
    yield chunk;
  }
}
