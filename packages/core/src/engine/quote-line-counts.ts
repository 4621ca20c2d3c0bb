/**
 * Counting the two bytes that decide where CSV records can start: quotes (their parity says
 * whether a position is inside a quoted field) and line feeds (their count gives line numbers).
 * This is the one pass over every byte that exact splitting needs, so it works four bytes at a
 * time: each 32-bit word is compared with `"` and LF in every byte lane at once (SWAR), with no
 * branch per byte.
 */

/** Quote parity and line feeds over a span of bytes. */
export interface QuoteLineCounts {
  /** 1 when the span holds an odd number of `"` bytes, else 0. */
  quoteParity: number;
  lineFeeds: number;
}

const LF_LANES = 0x0a0a0a0a;
const QUOTE_LANES = 0x22222222;
const LOW_SEVEN = 0x7f7f7f7f;
const LOW_BITS = 0x01010101;
const HIGH_BITS = 0x80808080 | 0;
/** Words summed per lane before a lane (one byte) could overflow. */
const WORDS_PER_SUM = 255;

/** Adds the counts of `buf[start, end)` to `counts`. */
export function countQuotesAndLineFeeds(
  buf: Uint8Array,
  start: number,
  end: number,
  counts: QuoteLineCounts,
): void {
  let lineFeeds = 0;
  let quotes = 0;
  let i = start;
  // Bytes up to the first 4-byte-aligned address, then whole words, then the tail.
  while (i < end && (buf.byteOffset + i) % 4 !== 0) {
    const c = buf[i++]!;
    if (c === 0x0a) lineFeeds++;
    else if (c === 0x22) quotes++;
  }
  const firstWord = (buf.byteOffset + i) / 4;
  const wordCount = (end - i) >> 2;
  if (wordCount > 0) {
    const words = new Int32Array(buf.buffer, firstWord * 4, wordCount);
    // Per lane, the high bit of `((x & 0x7f) + 0x7f) | x` is clear exactly when x is 0, so
    // after XOR with the wanted byte, `~t & 0x80` marks each match, with no carry between lanes.
    // Line feeds are summed per lane; quote marks only need their parity, so they are XORed.
    let quoteMarks = 0;
    for (let w = 0; w < wordCount; ) {
      const stop = Math.min(wordCount, w + WORDS_PER_SUM);
      let lanes = 0;
      for (; w < stop; w++) {
        const word = words[w]!;
        let x = word ^ LF_LANES;
        const t = ((x & LOW_SEVEN) + LOW_SEVEN) | 0 | x;
        lanes = (lanes + ((~t >>> 7) & LOW_BITS)) | 0;
        x = word ^ QUOTE_LANES;
        quoteMarks ^= ~(((x & LOW_SEVEN) + LOW_SEVEN) | 0 | x);
      }
      lineFeeds +=
        (lanes & 0xff) + ((lanes >>> 8) & 0xff) + ((lanes >>> 16) & 0xff) + (lanes >>> 24);
    }
    quotes += bitCount(quoteMarks & HIGH_BITS);
    i += wordCount * 4;
  }
  for (; i < end; i++) {
    const c = buf[i]!;
    if (c === 0x0a) lineFeeds++;
    else if (c === 0x22) quotes++;
  }
  counts.lineFeeds += lineFeeds;
  counts.quoteParity = (counts.quoteParity + quotes) & 1;
}

function bitCount(value: number): number {
  let n = 0;
  for (let v = value >>> 0; v !== 0; v &= v - 1) n++;
  return n;
}
