import { createReadStream, ReadStream } from 'node:fs';
import { mkdtemp, rm, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { abortedError, checkAborted } from './abort.js';
import {
  type Aggregation,
  aggregate,
  DEFAULT_TUNING,
  type EngineTuning,
  resolveOptions,
} from './aggregation.js';
import { readCsvHeader } from './csv-header.js';
import { countOnThreads, splitFileAt } from './file-split.js';
import { LocalThread } from './local-thread.js';
import { mergedParts } from './merged-parts.js';
import { combineRangeStatistics } from './partial-runs.js';
import { aggregateRanges } from './range-parts.js';
import { rangesBetween, splitTargets } from './record-boundaries.js';
import { borrowThreads, releaseThreads } from './thread-pool.js';
import type { AggregateOptions, ByteSource } from './types.js';

/**
 * Aggregates any input: a file (a path, or an `fs.ReadStream` of a whole regular file not read
 * from yet) is split across `threads` threads when it is big enough; anything else is read by
 * this thread alone.
 */
export async function aggregateAnyInput(
  input: ByteSource | string,
  options: AggregateOptions,
  tuning: EngineTuning = DEFAULT_TUNING,
): Promise<Aggregation> {
  const path = typeof input === 'string' ? input : wholeFileStreamPath(input);
  if (path === undefined || (options.threads ?? 1) <= 1) {
    const source = typeof input === 'string' ? openFile(input) : input;
    return aggregate(source, options, tuning);
  }
  if (typeof input !== 'string') (input as ReadStream).destroy();
  return aggregateFileInThreads(path, options, tuning);
}

/** The path of a `ReadStream` over a whole file that nothing has read from yet. */
function wholeFileStreamPath(input: ByteSource): string | undefined {
  if (!(input instanceof ReadStream)) return undefined;
  const stream = input as ReadStream & { start?: number; end?: number };
  const whole = (stream.start ?? 0) === 0 && (stream.end ?? Number.POSITIVE_INFINITY) === Infinity;
  const untouched = stream.bytesRead === 0 && stream.readableLength === 0 && !stream.destroyed;
  return typeof stream.path === 'string' && whole && untouched ? stream.path : undefined;
}

function openFile(path: string) {
  return createReadStream(path, { highWaterMark: 1 << 20 });
}

async function aggregateFileInThreads(
  path: string,
  options: AggregateOptions,
  tuning: EngineTuning,
): Promise<Aggregation> {
  const startedAt = performance.now();
  const settings = resolveOptions(options);
  const { signal } = options;
  checkAborted(signal);
  const info = await stat(path);
  const size = info.size;
  const threadCount = Math.min(settings.threads, Math.floor(size / tuning.minRangeBytes));
  if (!info.isFile() || threadCount <= 1) return aggregate(openFile(path), options, tuning);

  // The workers start now, so that they boot while the header is read.
  const threads = [new LocalThread(), ...borrowThreads(threadCount - 1)];
  const stopThreads = () => Promise.all(threads.map((thread) => thread.terminate()));
  const onAbort = () => void stopThreads();
  /** True from the first request sent to the threads until they have all settled. */
  let threadsBusy = false;
  signal?.addEventListener('abort', onAbort, { once: true });
  let tempRoot: string | undefined;
  try {
    const header = await readCsvHeader(openFile(path), {
      maxRecordBytes: settings.maxRecordBytes,
      ...(signal === undefined ? {} : { signal }),
    });
    const dataBytes = size - header.dataStart;
    tempRoot = await mkdtemp(join(settings.tempDir, 'playtally-'));
    const rangeCount = Math.min(
      threadCount * tuning.rangesPerThread,
      Math.max(1, Math.floor(dataBytes / tuning.minRangeBytes)),
    );
    const targets = splitTargets(size, Math.ceil(size / rangeCount));
    threadsBusy = true;
    const boundaries = await splitFileAt(
      path,
      size,
      targets,
      threadCount,
      countOnThreads(threads, path),
      signal,
    );
    const ranges = rangesBetween(boundaries, header.dataStart, header.dataLine, size);
    const parts = await aggregateRanges(threads, ranges, {
      path,
      size,
      header,
      settings,
      options,
      tuning,
      tempRoot,
      onSettled: () => {
        threadsBusy = false;
      },
    });
    // Stopping the threads frees their memory (an idle thread would keep its garbage) before
    // the merge; tests keep them instead, to run many small cases quickly.
    if (tuning.reuseThreads) releaseThreads(threads);
    else await stopThreads();
    const combined = combineRangeStatistics(
      parts.map((part) => part.statistics),
      header.dataStart,
      settings.maxRejectedExamples,
    );
    return mergedParts(parts, {
      threads: threadCount,
      tuning,
      tempRoot,
      statistics: (groupsWritten) => ({
        ...combined,
        bytesRead: size,
        groupsWritten,
        durationMs: Math.round(performance.now() - startedAt),
      }),
    });
  } catch (error) {
    if (tuning.reuseThreads && !threadsBusy && !signal?.aborted) releaseThreads(threads);
    else await stopThreads();
    if (tempRoot !== undefined) await rm(tempRoot, { recursive: true, force: true });
    if (signal?.aborted) throw abortedError(signal);
    throw error;
  } finally {
    signal?.removeEventListener('abort', onAbort);
  }
}
