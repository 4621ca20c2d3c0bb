import { stat } from 'node:fs/promises';
import { AggregationThread } from './aggregation-thread.js';
import { countFileSpan, seekFileBoundaries } from './file-boundaries.js';
import { LocalThread } from './local-thread.js';
import type { QuoteLineCounts } from './quote-line-counts.js';
import type { RangeThread } from './range-thread.js';
import { type RecordBoundary, splitTargets } from './record-boundaries.js';
import type { CountReply } from './thread-messages.js';

/** Counts span `index` from `start` up to each cut (the last ends it); see {@link countFileSpan}. */
export type CountSpan = (
  index: number,
  start: number,
  cuts: readonly number[],
) => Promise<QuoteLineCounts[]>;

/**
 * The record start after each target of a file (ascending targets inside the file), with the
 * counting pass spread over `spans` counters: the bytes up to the last target are cut into one
 * span per counter; each counts quotes and line feeds over its span, up to each target inside
 * it; prefix sums over the spans give the quote parity and line count at every target; then a
 * short seek from each target finds the first record start after it.
 */
export async function splitFileAt(
  path: string,
  size: number,
  targets: readonly number[],
  spans: number,
  countSpan: CountSpan,
  signal?: AbortSignal,
): Promise<RecordBoundary[]> {
  if (targets.length === 0) return [];
  const to = targets[targets.length - 1]!;
  const edges = Array.from({ length: spans + 1 }, (_, i) => Math.floor((to * i) / spans));
  const cutsOf = (i: number) => {
    const cuts = targets.filter((t) => t > edges[i]! && t < edges[i + 1]!);
    cuts.push(edges[i + 1]!);
    return cuts;
  };
  const counted = await Promise.all(
    edges.slice(0, spans).map((start, i) => {
      const end = edges[i + 1]!;
      return end > start ? countSpan(i, start, cutsOf(i)) : Promise.resolve([]);
    }),
  );
  const countsAt = new Map<number, QuoteLineCounts>();
  let base: QuoteLineCounts = { quoteParity: 0, lineFeeds: 0 };
  counted.forEach((counts, i) => {
    if (edges[i + 1]! <= edges[i]!) return;
    const spanBase = base;
    cutsOf(i).forEach((cut, k) => {
      const local = counts[k]!;
      base = {
        quoteParity: spanBase.quoteParity ^ local.quoteParity,
        lineFeeds: spanBase.lineFeeds + local.lineFeeds,
      };
      countsAt.set(cut, base);
    });
  });
  const countsAtTargets = targets.map((t) => countsAt.get(t)!);
  return seekFileBoundaries(path, size, targets, countsAtTargets, signal);
}

/** Counts spans on aggregation threads, span `i` on thread `i`. */
export function countOnThreads(threads: readonly RangeThread[], path: string): CountSpan {
  return (index, start, cuts) =>
    threads[index]!.request<CountReply>({ type: 'count', path, start, cuts });
}

/** Options of {@link findFileBoundaries}. */
export interface FindFileBoundariesOptions {
  /** A boundary is found after every multiple of this many bytes. */
  partBytes: number;
  /** Threads that share the counting pass. @default 1 */
  threads?: number;
  signal?: AbortSignal;
}

/**
 * The exact split points of a CSV file: for each multiple `k × partBytes` inside the file, the
 * first record start after it (its offset and line number), found with one counting pass over
 * the file shared by `threads` threads. Quoted fields holding line breaks are never cut. The
 * result equals what a {@link createBoundaryRecorder} with the same `partBytes` records while
 * the file streams past; {@link csvRanges} turns it into the ranges to aggregate.
 *
 * @example
 * ```ts
 * const boundaries = await findFileBoundaries('plays.csv', { partBytes: 128 << 20, threads: 4 });
 * const header = await readCsvHeader(createReadStream('plays.csv'));
 * const ranges = csvRanges(boundaries, header, (await stat('plays.csv')).size);
 * ```
 */
export async function findFileBoundaries(
  path: string,
  options: FindFileBoundariesOptions,
): Promise<RecordBoundary[]> {
  const { partBytes, signal } = options;
  const { size } = await stat(path);
  const targets = splitTargets(size, partBytes);
  const threadCount = Math.max(1, Math.min(options.threads ?? 1, targets.length));
  if (threadCount === 1) {
    return splitFileAt(path, size, targets, 1, (_, start, cuts) =>
      countFileSpan(path, start, cuts, signal),
    );
  }
  const workers = Array.from({ length: threadCount - 1 }, (_, i) => new AggregationThread(i + 1));
  const threads = [new LocalThread(), ...workers];
  try {
    return await splitFileAt(
      path,
      size,
      targets,
      threadCount,
      countOnThreads(threads, path),
      signal,
    );
  } finally {
    await Promise.all(threads.map((thread) => thread.terminate()));
  }
}
