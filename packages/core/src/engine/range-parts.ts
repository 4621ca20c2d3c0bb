import type { EngineTuning, Settings } from './aggregation.js';
import type { CsvHeader } from './csv-header.js';
import type { IndexedRun } from './output-slices.js';
import type { RangeStatistics } from './range-aggregation.js';
import { runRangesInOrder } from './range-scheduler.js';
import type { RangeThread } from './range-thread.js';
import type { CsvByteRange } from './record-boundaries.js';
import type { AggregateReply } from './thread-messages.js';
import type { AggregateOptions } from './types.js';

/** A range's sorted partial runs (with their indexes) and its statistics. */
export interface RangePart {
  readonly runs: readonly IndexedRun[];
  readonly statistics: RangeStatistics;
}

/** What each thread of a run costs besides its group table: its own JavaScript runtime. */
const THREAD_OVERHEAD_BYTES = 16 * 1024 * 1024;

/**
 * Each thread's share of the memory budget: the budget bounds the whole process, so every
 * thread beyond the first also gives up what its own runtime costs.
 */
export function threadBudget(memoryBudget: number, threads: number): number {
  const shared = memoryBudget - (threads - 1) * THREAD_OVERHEAD_BYTES;
  return Math.max(0, Math.floor(shared / threads));
}

/** What {@link aggregateRanges} needs besides the ranges. */
export interface RangeRunContext {
  readonly path: string;
  readonly size: number;
  readonly header: CsvHeader;
  readonly settings: Settings;
  readonly options: AggregateOptions;
  readonly tuning: EngineTuning;
  readonly tempRoot: string;
  /** Called once no request is in progress on any thread (before an error is thrown). */
  readonly onSettled: () => void;
}

/**
 * Aggregates the ranges on the threads and returns their partial runs in input order. A range
 * that ended early (stray quotes fooled the split) is followed by one range from where it
 * stopped to the end of the file, in place of the ranges after it.
 */
export async function aggregateRanges(
  threads: readonly RangeThread[],
  ranges: readonly CsvByteRange[],
  context: RangeRunContext,
): Promise<RangePart[]> {
  const { path, size, header, settings, options, tuning, tempRoot } = context;
  const threadCount = threads.length;
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
  const run = (thread: RangeThread, range: CsvByteRange, key: number) => {
    const runPrefix = `range-${runs++}`;
    const reply = thread.request<AggregateReply>(
      {
        type: 'aggregate',
        path,
        size,
        range,
        header,
        runDir: tempRoot,
        runPrefix,
        tuning,
        options: {
          onInvalid: settings.onInvalid,
          memoryBudget: threadBudget(settings.memoryBudget, threadCount),
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
    return reply;
  };

  const parts: RangePart[] = [];
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
