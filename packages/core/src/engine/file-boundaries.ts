import { closeSync, openSync, readSync } from 'node:fs';
import { open } from 'node:fs/promises';
import { setImmediate as nextTurn } from 'node:timers/promises';
import { checkAborted } from './abort.js';
import {
  COUNT_WINDOW_BYTES,
  countingWindow,
  countWindow,
  type QuoteLineCounts,
} from './quote-line-counts.js';
import { type RecordBoundary, seekRecordStart } from './record-boundaries.js';

const READ_BYTES = COUNT_WINDOW_BYTES;
/** Bytes counted between two turns of the event loop (so that an abort gets through). */
const BYTES_PER_TURN = 16 * READ_BYTES;
const SEEK_BYTES = 64 * 1024;

/**
 * Counts quotes and line feeds of a file from `start` on and returns the counts from `start`
 * up to each of `cuts` (ascending, after `start`; the last one ends the span). This is the
 * parallel half of exact splitting: each thread counts its own span, and prefix sums over the
 * spans give the counts at every split target. It reads synchronously, which is about twice as
 * fast here as a promise per read, straight into the counting module's memory (no copy), and
 * yields to the event loop every 16 MiB.
 */
export async function countFileSpan(
  path: string,
  start: number,
  cuts: readonly number[],
  signal?: AbortSignal,
): Promise<QuoteLineCounts[]> {
  const fd = openSync(path, 'r');
  try {
    const counts: QuoteLineCounts = { quoteParity: 0, lineFeeds: 0 };
    const atCuts: QuoteLineCounts[] = [];
    let at = start;
    let sinceTurn = 0;
    for (const cut of cuts) {
      while (at < cut) {
        if (sinceTurn >= BYTES_PER_TURN) {
          await nextTurn();
          sinceTurn = 0;
        }
        checkAborted(signal);
        // Read and counted in one synchronous step: the window is shared by this thread.
        const bytesRead = readSync(fd, countingWindow(), 0, Math.min(READ_BYTES, cut - at), at);
        if (bytesRead === 0) break;
        countWindow(bytesRead, counts);
        at += bytesRead;
        sinceTurn += bytesRead;
      }
      atCuts.push({ ...counts });
    }
    return atCuts;
  } finally {
    closeSync(fd);
  }
}

/**
 * The record start after each target of a file, given the counts over the bytes before each
 * target (line feeds counted from the input's first byte). Each seek reads from its target
 * until a line feed outside quotes: usually one line, a long quoted field at worst. A target
 * with no record start after it gives the end of the file.
 */
export async function seekFileBoundaries(
  path: string,
  size: number,
  targets: readonly number[],
  countsAtTargets: readonly QuoteLineCounts[],
  signal?: AbortSignal,
): Promise<RecordBoundary[]> {
  const file = await open(path, 'r');
  try {
    const buf = Buffer.allocUnsafe(SEEK_BYTES);
    const boundaries: RecordBoundary[] = [];
    for (const [i, target] of targets.entries()) {
      const counts = { ...countsAtTargets[i]! };
      let at = target;
      let found = -1;
      while (found === -1 && at < size) {
        checkAborted(signal);
        const { bytesRead } = await file.read(buf, 0, SEEK_BYTES, at);
        if (bytesRead === 0) break;
        const next = seekRecordStart(buf, 0, bytesRead, counts);
        if (next !== -1) found = at + next;
        at += bytesRead;
      }
      boundaries.push({ offset: found === -1 ? size : found, line: counts.lineFeeds + 1 });
    }
    return boundaries;
  } finally {
    await file.close();
  }
}
