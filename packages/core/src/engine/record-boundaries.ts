import type { CsvHeader } from './csv-header.js';
import type { QuoteLineCounts } from './quote-line-counts.js';

/*
 * Exact split points of a CSV. A record can start right after a line feed that lies outside
 * quotes, which is one where the number of `"` bytes before it is even (`""` escapes and the
 * quotes around a field each count twice or pair up). So the quote parity and line count at
 * any offset, obtained by one counting pass, tell where the next record starts and on which
 * line. The split for a target offset is the first such record start after it.
 */

/** Where a record starts: its byte offset in the input and its 1-based line number. */
export interface RecordBoundary {
  readonly offset: number;
  readonly line: number;
}

/**
 * One byte range of a CSV that starts and ends on record boundaries: `[start, end)`, whose
 * first byte is on line `line`. Ranges produced here lie after the header row.
 */
export interface CsvByteRange {
  readonly start: number;
  readonly end: number;
  readonly line: number;
}

/** Split targets: every multiple of `partBytes` inside `(0, size)`. */
export function splitTargets(size: number, partBytes: number): number[] {
  const targets: number[] = [];
  for (let at = partBytes; at < size; at += partBytes) targets.push(at);
  return targets;
}

/**
 * Looks for the first line feed outside quotes in `buf[from, end)`, given the counts over all
 * bytes before `from`, which it advances as it reads. Returns the offset in `buf` just after
 * that line feed (a record start), or -1 when there is none in the bytes given.
 */
export function seekRecordStart(
  buf: Uint8Array,
  from: number,
  end: number,
  counts: QuoteLineCounts,
): number {
  let parity = counts.quoteParity;
  let lineFeeds = counts.lineFeeds;
  for (let i = from; i < end; i++) {
    const c = buf[i]!;
    if (c === 0x22) {
      parity ^= 1;
    } else if (c === 0x0a) {
      lineFeeds++;
      if (parity === 0) {
        counts.quoteParity = parity;
        counts.lineFeeds = lineFeeds;
        return i + 1;
      }
    }
  }
  counts.quoteParity = parity;
  counts.lineFeeds = lineFeeds;
  return -1;
}

/**
 * The ranges between consecutive boundaries: the data (from `dataStart`, after the header, on
 * line `dataLine`) up to `size`, cut at each boundary that lies strictly inside it. Boundaries
 * must ascend; ones at or before `dataStart` are ignored, and no range is empty.
 */
export function rangesBetween(
  boundaries: readonly RecordBoundary[],
  dataStart: number,
  dataLine: number,
  size: number,
): CsvByteRange[] {
  const ranges: CsvByteRange[] = [];
  let start = dataStart;
  let line = dataLine;
  for (const boundary of boundaries) {
    if (boundary.offset <= start || boundary.offset >= size) continue;
    ranges.push({ start, end: boundary.offset, line });
    start = boundary.offset;
    line = boundary.line;
  }
  if (start < size) ranges.push({ start, end: size, line });
  return ranges;
}

/**
 * The byte ranges to aggregate separately, from split points (of {@link findFileBoundaries} or
 * a {@link BoundaryRecorder}) and the header: the data after the header, up to `size`, cut at
 * each boundary inside it, with no empty range.
 *
 * @example
 * ```ts
 * const ranges = csvRanges(recorder.finish().boundaries, header, size);
 * ```
 */
export function csvRanges(
  boundaries: readonly RecordBoundary[],
  header: CsvHeader,
  size: number,
): CsvByteRange[] {
  return rangesBetween(boundaries, header.dataStart, header.dataLine, size);
}
