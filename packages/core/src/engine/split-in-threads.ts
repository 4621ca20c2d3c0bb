import type { AggregationThread } from './aggregation-thread.js';
import type { CsvHeader } from './csv-header.js';
import { seekFileBoundaries } from './file-boundaries.js';
import type { QuoteLineCounts } from './quote-line-counts.js';
import { type RecordBoundary, splitTargets } from './record-boundaries.js';
import type { CountReply } from './thread-messages.js';

/**
 * Finds the exact split points of a file into `parts` ranges, with the counting pass spread
 * over the threads: the data up to the last split target is cut into one span per thread; each
 * thread counts quotes and line feeds over its span, up to each target inside it; prefix sums
 * over the spans give the quote parity and line count at every target; then a short seek from
 * each target finds the first record start after it. The targets are the multiples of
 * `ceil(size / parts)`, as a {@link BoundaryRecorder} with that `partBytes` would record them.
 */
export async function splitInThreads(
  threads: readonly AggregationThread[],
  path: string,
  size: number,
  header: CsvHeader,
  parts: number,
  signal: AbortSignal | undefined,
): Promise<RecordBoundary[]> {
  const targets = splitTargets(size, Math.ceil(size / parts)).filter((t) => t > header.dataStart);
  if (targets.length === 0) return [];
  const from = header.dataStart;
  const to = targets[targets.length - 1]!;
  const edges = threads.map((_, i) => from + Math.floor(((to - from) * i) / threads.length));
  edges.push(to);
  const spans = await Promise.all(
    threads.map((thread, i) => {
      const start = edges[i]!;
      const end = edges[i + 1]!;
      if (end <= start) return Promise.resolve([] as CountReply);
      const cuts = targets.filter((t) => t > start && t < end);
      cuts.push(end);
      return thread.request<CountReply>({ type: 'count', path, start, end, cuts });
    }),
  );
  // The header row is a complete record, so the data starts outside quotes.
  let base: QuoteLineCounts = { quoteParity: 0, lineFeeds: header.dataLine - 1 };
  const countsAt = new Map<number, QuoteLineCounts>();
  spans.forEach((counts, i) => {
    const start = edges[i]!;
    const end = edges[i + 1]!;
    if (end <= start) return;
    const cuts = targets.filter((t) => t > start && t < end);
    cuts.push(end);
    const spanBase = base;
    cuts.forEach((cut, k) => {
      const local = counts[k]!;
      countsAt.set(cut, {
        quoteParity: spanBase.quoteParity ^ local.quoteParity,
        lineFeeds: spanBase.lineFeeds + local.lineFeeds,
      });
    });
    base = countsAt.get(end)!;
  });
  const countsAtTargets = targets.map((t) => countsAt.get(t)!);
  return seekFileBoundaries(path, size, targets, countsAtTargets, signal);
}
