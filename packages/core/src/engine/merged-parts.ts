import { rm } from 'node:fs/promises';
import { join } from 'node:path';
import type { Aggregation, EngineTuning } from './aggregation.js';
import type { GroupCursor } from './group-cursor.js';
import { appendFiles, type IndexedRun, planOutputSlices, writeSlice } from './output-slices.js';
import { mergeRunFiles } from './partial-runs.js';
import type { RangePart } from './range-parts.js';
import type { SinkWriter } from './sink-writer.js';
import { borrowThreads, releaseThreads } from './thread-pool.js';
import type { AggregateStatistics } from './types.js';

/** What {@link mergedParts} needs besides the parts. */
export interface MergedPartsContext {
  readonly threads: number;
  readonly tuning: EngineTuning;
  readonly tempRoot: string;
  /** The statistics of the whole run, given the output rows. */
  readonly statistics: (groupsWritten: number) => AggregateStatistics;
}

/**
 * The result of a run split into ranges, as an {@link Aggregation}: the k-way merge of the
 * ranges' partial runs. Read as a cursor (one thread merges), or written as CSV, where a large
 * output is merged by several threads at once, each taking a slice of the songs, and the slices
 * are then concatenated in order. `dispose()` removes the temporary directory.
 */
export function mergedParts(parts: readonly RangePart[], context: MergedPartsContext): Aggregation {
  let cursor: GroupCursor | undefined;
  const runs = parts.flatMap((part) => part.runs);
  const groups = runs.reduce((sum, run) => sum + run.groups, 0);
  const parallel = context.threads > 1 && groups >= context.tuning.minSlicedMergeGroups;
  return {
    get cursor() {
      cursor ??= mergeRunFiles(runs.map((run) => run.path));
      return cursor;
    },
    truncatedAt: undefined,
    statistics: context.statistics,
    ...(parallel
      ? { write: (writer, signal) => writeInSlices(runs, context, writer, signal) }
      : {}),
    dispose: async () => {
      cursor?.close();
      await rm(context.tempRoot, { recursive: true, force: true }).catch(() => {});
    },
  };
}

async function writeInSlices(
  runs: readonly IndexedRun[],
  context: MergedPartsContext,
  writer: SinkWriter,
  signal: AbortSignal | undefined,
): Promise<number> {
  const [first, ...rest] = planOutputSlices(runs, context.threads);
  const threads = borrowThreads(rest.length);
  const stop = () => Promise.all(threads.map((thread) => thread.terminate()));
  const onAbort = () => void stop();
  signal?.addEventListener('abort', onAbort, { once: true });
  try {
    // The first slice is merged here, straight into the output, while the workers merge the
    // others into files, which are then appended in order.
    const outPaths = rest.map((_, k) => join(context.tempRoot, `slice-${k + 1}.csv`));
    const others = Promise.all(
      rest.map((slice, k) =>
        threads[k]!.request<number>({ type: 'merge', slice, outPath: outPaths[k]! }),
      ),
    );
    others.catch(() => {});
    const firstRows = await writeSlice(first!, writer, signal);
    const rows = await others;
    if (context.tuning.reuseThreads) releaseThreads(threads);
    else await stop();
    await appendFiles(outPaths, writer, signal);
    return rows.reduce((sum, n) => sum + n, firstRows);
  } catch (error) {
    await stop();
    throw error;
  } finally {
    signal?.removeEventListener('abort', onAbort);
  }
}
