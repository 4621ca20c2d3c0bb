import { COUNT_BYTES_WASM } from './count-bytes-module.js';

/*
 * Counting the two bytes that decide where CSV records can start: quotes (their parity says
 * whether a position is inside a quoted field) and line feeds (their count gives line numbers).
 * This is the one pass over every byte that exact splitting needs, and the boundary recorder
 * runs it on every uploaded byte, so it runs as WebAssembly SIMD (wasm/count-bytes.wat): 16
 * bytes compared at once, tens of GB/s, where the pass is bound by copying the bytes in.
 */

/** Quote parity and line feeds over a span of bytes. */
export interface QuoteLineCounts {
  /** 1 when the span holds an odd number of `"` bytes, else 0. */
  quoteParity: number;
  lineFeeds: number;
}

/** Bytes the module's memory holds for one call (its memory is 17 pages of 64 KiB). */
export const COUNT_WINDOW_BYTES = 1 << 20;
/** Below this, a plain loop beats copying the bytes into the module. */
const SMALL_SPAN = 64;

interface CountModule {
  /** The module's memory: bytes to count go at offset 0. */
  readonly window: Uint8Array;
  /** Counts the first `length` bytes of the window: returns the line feeds; quotes in `quotes`. */
  readonly count: (length: number) => number;
  readonly quotes: WebAssembly.Global;
}

let loaded: CountModule | undefined;

/** The module, compiled and instantiated on first use (each thread has its own). */
function countModule(): CountModule {
  if (loaded === undefined) {
    const module = new WebAssembly.Module(Buffer.from(COUNT_BYTES_WASM, 'base64'));
    const exports = new WebAssembly.Instance(module).exports as unknown as {
      memory: WebAssembly.Memory;
      count: (length: number) => number;
      quotes: WebAssembly.Global;
    };
    loaded = {
      window: new Uint8Array(exports.memory.buffer, 0, COUNT_WINDOW_BYTES),
      count: exports.count,
      quotes: exports.quotes,
    };
  }
  return loaded;
}

/**
 * A scratch buffer of {@link COUNT_WINDOW_BYTES} inside the counting module: bytes read into it
 * are counted by {@link countWindow} without a copy. Its content is overwritten by any count on
 * this thread, so fill it and count it in one synchronous step.
 */
export function countingWindow(): Uint8Array {
  return countModule().window;
}

/** Adds the counts of the first `length` bytes of {@link countingWindow} to `counts`. */
export function countWindow(length: number, counts: QuoteLineCounts): void {
  const counter = countModule();
  counts.lineFeeds += counter.count(length);
  counts.quoteParity = (counts.quoteParity + (counter.quotes.value as number)) & 1;
}

/** Adds the counts of `buf[start, end)` to `counts`. */
export function countQuotesAndLineFeeds(
  buf: Uint8Array,
  start: number,
  end: number,
  counts: QuoteLineCounts,
): void {
  if (end - start < SMALL_SPAN) {
    countByteByByte(buf, start, end, counts);
    return;
  }
  const window = countingWindow();
  for (let at = start; at < end; at += COUNT_WINDOW_BYTES) {
    const stop = Math.min(end, at + COUNT_WINDOW_BYTES);
    window.set(buf.subarray(at, stop));
    countWindow(stop - at, counts);
  }
}

function countByteByByte(
  buf: Uint8Array,
  start: number,
  end: number,
  counts: QuoteLineCounts,
): void {
  let lineFeeds = 0;
  let quotes = 0;
  for (let i = start; i < end; i++) {
    const c = buf[i]!;
    if (c === 0x0a) lineFeeds++;
    else if (c === 0x22) quotes++;
  }
  counts.lineFeeds += lineFeeds;
  counts.quoteParity = (counts.quoteParity + quotes) & 1;
}
