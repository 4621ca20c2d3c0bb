import type { ByteSource, CsvHeader, RecordedBoundaries } from '@playtally/core';
import { createBoundaryRecorder, csvRanges, readCsvHeader, sourceChunks } from '@playtally/core';
import type { NewJobPart } from '../domain/job-part.js';
import type { BlobStore } from '../ports/blob-store.js';

/** Uploads past this many bytes are split into parts of about this size. @default 128 MiB */
export const DEFAULT_SPLIT_BYTES = 128 * 1024 * 1024;

/** The chunks of `source`, unchanged, with every byte seen by a boundary recorder on the way. */
export interface RecordingSource {
  readonly chunks: AsyncGenerator<Uint8Array>;
  /** The split points, once `chunks` has been read to its end. */
  boundaries(): RecordedBoundaries;
}

/**
 * Passes an upload through while recording its exact record boundaries every `splitBytes` (see
 * `createBoundaryRecorder`): the API sees every byte on its way to the blob store, so workers
 * need no pass of their own to find where the parts start.
 */
export function recordingSource(source: ByteSource, splitBytes: number): RecordingSource {
  const recorder = createBoundaryRecorder({ partBytes: splitBytes });
  let recorded: RecordedBoundaries | undefined;
  async function* chunks(): AsyncGenerator<Uint8Array> {
    const iterator = sourceChunks(source);
    try {
      for (;;) {
        const next = await iterator.next();
        if (next.done === true) break;
        recorder.write(next.value);
        yield next.value;
      }
    } finally {
      await iterator.return?.();
    }
    recorded = recorder.finish();
  }
  return {
    chunks: chunks(),
    boundaries() {
      if (recorded === undefined) throw new Error('the upload has not been read to its end');
      return recorded;
    },
  };
}

/**
 * The parts of a stored upload of `size` bytes, from the boundaries recorded while it streamed
 * in: the data after the header cut at each boundary. Empty when the upload is no larger than
 * `splitBytes`, when it holds a single range, or when its header is bad (the job then runs in
 * one piece and fails as it always did, with the engine's message).
 */
export async function planParts(
  blobs: BlobStore,
  key: string,
  recorded: RecordedBoundaries,
  splitBytes: number,
): Promise<NewJobPart[]> {
  if (recorded.size <= splitBytes || recorded.boundaries.length === 0) return [];
  try {
    const header = await readBlobHeader(blobs, key);
    const ranges = csvRanges(recorded.boundaries, header, recorded.size);
    return ranges.length < 2 ? [] : ranges.map(({ start, end, line }) => ({ start, end, line }));
  } catch {
    return [];
  }
}

/** The CSV header of a stored upload: the read stops at the header's end. */
export async function readBlobHeader(
  blobs: BlobStore,
  key: string,
  signal?: AbortSignal,
): Promise<CsvHeader> {
  const stream = await blobs.read(key);
  try {
    return await readCsvHeader(stream, signal === undefined ? {} : { signal });
  } finally {
    stream.destroy();
  }
}
