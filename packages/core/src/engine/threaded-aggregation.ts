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
  type Settings,
} from './aggregation.js';
import type { AggregationThread } from './aggregation-thread.js';
import { type CsvHeader, readCsvHeader } from './csv-header.js';
import { countOnThreads, splitFileAt } from './file-split.js';
import { combineRangeStatistics, mergeRunFiles } from './partial-runs.js';
import type { RangeStatistics } from './range-aggregation.js';
import { runRangesInOrder } from './range-scheduler.js';
import { type CsvByteRange, rangesBetween, splitTargets } from './record-boundaries.js';
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
  if (!info.isFile()) return aggregate(openFile(path), options, tuning);
  const header = await readCsvHeader(openFile(path), { maxRecordBytes: settings.maxRecordBytes });
  const size = info.size;
  const dataBytes = size - header.dataStart;
  const threadCount = Math.min(settings.threads, Math.floor(dataBytes / tuning.minRangeBytes));
  if (threadCount <= 1) return aggregate(openFile(path), options, tuning);

  const tempRoot = await mkdtemp(join(settings.tempDir, 'playtally-'));
  const threads = borrowThreads(threadCount);
  const stopThreads = () => Promise.all(threads.map((thread) => thread.terminate()));
  const onAbort = () => void stopThreads();
  /** Set once every request sent to the threads has settled, failed or not. */
  let threadsIdle = false;
  signal?.addEventListener('abort', onAbort, { once: true });
  try {
    const rangeCount = Math.min(
      threadCount * tuning.rangesPerThread,
      Math.max(1, Math.floor(dataBytes / tuning.minRangeBytes)),
    );
    const targets = splitTargets(size, Math.ceil(size / rangeCount));
    const boundaries = await splitFileAt(
      path,
      size,
      targets,
      threadCount,
      countOnThreads(threads, path),
      signal,
    );
    const ranges = rangesBetween(boundaries, header.dataStart, header.dataLine, size);
    const parts = await runRanges(threads, ranges, path, size, header, settings, tempRoot, {
      options,
      tuning,
      threadCount,
      onSettled: () => {
        threadsIdle = true;
      },
    });
    // Stopping the threads frees their memory (an idle thread would keep its garbage) before
    // the merge; tests keep them instead, to run many small cases quickly.
    if (tuning.reuseThreads) releaseThreads(threads);
    else await stopThreads();
    const cursor = mergeRunFiles(parts.map((part) => part.runPath));
    const combined = combineRangeStatistics(
      parts.map((part) => part.statistics),
      header.dataStart,
      settings.maxRejectedExamples,
    );
    return {
      cursor,
      truncatedAt: undefined,
      statistics: (groupsWritten) => ({
        ...combined,
        bytesRead: size,
        groupsWritten,
        durationMs: Math.round(performance.now() - startedAt),
      }),
      dispose: async () => {
        cursor.close();
        await rm(tempRoot, { recursive: true, force: true }).catch(() => {});
      },
    };
  } catch (error) {
    if (tuning.reuseThreads && threadsIdle && !signal?.aborted) releaseThreads(threads);
    else await stopThreads();
    await rm(tempRoot, { recursive: true, force: true });
    if (signal?.aborted) throw abortedError(signal);
    throw error;
  } finally {
    signal?.removeEventListener('abort', onAbort);
  }
}

interface Part {
  readonly runPath: string;
  readonly statistics: RangeStatistics;
}

/**
 * Aggregates the ranges on the threads and returns their partial runs in input order. A range
 * that ended early (stray quotes fooled the split) is followed by one range from where it
 * stopped to the end of the file, in place of the ranges after it.
 */
async function runRanges(
  threads: readonly AggregationThread[],
  ranges: readonly CsvByteRange[],
  path: string,
  size: number,
  header: CsvHeader,
  settings: Settings,
  tempRoot: string,
  context: {
    options: AggregateOptions;
    tuning: EngineTuning;
    threadCount: number;
    /** Called once no request is in progress on any thread (before an error is thrown). */
    onSettled: () => void;
  },
): Promise<Part[]> {
  const { options, tuning, threadCount } = context;
  const progress = new Map<number, { bytesRead: number; rowsRead: number }>();
  let reportedAt = performance.now();
  const report = (force: boolean) => {
    if (!options.onProgress) return;
    if (!force && performance.now() - reportedAt < settings.progressIntervalMs) return;
    reportedAt = performance.now();
    let bytesRead = header.dataStart;
    let rowsRead = 0;
    for (const range of progress.values()) {
      bytesRead += range.bytesRead;
      rowsRead += range.rowsRead;
    }
    options.onProgress({ bytesRead: Math.min(bytesRead, size), rowsRead });
  };
  let runs = 0;
  const run = (thread: AggregationThread, range: CsvByteRange, key: number) => {
    const runPath = join(tempRoot, `range-${runs++}.run`);
    const statistics = thread.request<RangeStatistics>(
      {
        type: 'aggregate',
        path,
        size,
        range,
        header,
        runPath,
        tuning,
        options: {
          onInvalid: settings.onInvalid,
          memoryBudget: Math.floor(settings.memoryBudget / threadCount),
          maxRecordBytes: settings.maxRecordBytes,
          maxRejectedExamples: settings.maxRejectedExamples,
          tempDir: tempRoot,
          progressIntervalMs: Math.min(settings.progressIntervalMs, 100),
        },
      },
      (bytesRead, rowsRead) => {
        progress.set(key, { bytesRead, rowsRead });
        report(false);
      },
    );
    return statistics.then((value) => ({ runPath, statistics: value }));
  };

  const parts: Part[] = [];
  const outcomes = await runRangesInOrder(threads, ranges, async (thread, range, index) => {
    const part = await run(thread, range, index);
    parts[index] = part;
    return part.statistics;
  });
  context.onSettled();
  for (const outcome of outcomes) if (!outcome.ok) throw outcome.error;
  const kept = parts.slice(0, outcomes.length);
  const resumeAt = kept[kept.length - 1]?.statistics.resumeAt;
  if (resumeAt !== undefined) {
    const rest = { start: resumeAt.offset, end: size, line: resumeAt.line };
    for (let key = outcomes.length; key < ranges.length; key++) progress.delete(key);
    kept.push(await run(threads[0]!, rest, ranges.length));
  }
  report(true);
  return kept;
}
