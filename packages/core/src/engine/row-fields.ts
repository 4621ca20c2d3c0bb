/**
 * The slow and error paths of reading a row's Date and Number of Plays fields, and the
 * reasons a rejected row reports. The common case is inlined in `row-aggregator.ts`.
 */

/** Longest text quoted back in an error message. */
const SHOWN_CHARACTERS = 40;

/**
 * Reads `YYYY-MM-DD` at `p` into year * 10000 + month * 100 + day, or -1 when the ten bytes
 * are not digits and dashes in that shape. Whether the date exists is checked elsewhere.
 */
export function readDate(buf: Buffer, p: number): number {
  if (buf[p + 4] !== 0x2d || buf[p + 7] !== 0x2d) return -1;
  const y0 = buf[p]! - 48;
  const y1 = buf[p + 1]! - 48;
  const y2 = buf[p + 2]! - 48;
  const y3 = buf[p + 3]! - 48;
  const m0 = buf[p + 5]! - 48;
  const m1 = buf[p + 6]! - 48;
  const d0 = buf[p + 8]! - 48;
  const d1 = buf[p + 9]! - 48;
  // Written so that NaN (a read past the buffer) fails too.
  if (
    !(y0 >= 0 && y0 <= 9 && y1 >= 0 && y1 <= 9 && y2 >= 0 && y2 <= 9 && y3 >= 0 && y3 <= 9) ||
    !(m0 >= 0 && m0 <= 9 && m1 >= 0 && m1 <= 9 && d0 >= 0 && d0 <= 9 && d1 >= 0 && d1 <= 9)
  ) {
    return -1;
  }
  return (y0 * 1000 + y1 * 100 + y2 * 10 + y3) * 10_000 + (m0 * 10 + m1) * 100 + d0 * 10 + d1;
}

/** Result of {@link parseLongPlays}: an exact double, or NaN with the BigInt in `big`. */
export interface LongPlays {
  value: number;
  big: bigint;
}

/**
 * Reads a plays field of 0 or more than 15 bytes (the fast path handles 1 to 15 digits, which
 * always fit a double exactly). Returns false when it is not a non-negative decimal integer.
 */
export function parseLongPlays(buf: Buffer, start: number, end: number, out: LongPlays): boolean {
  if (start === end) return false;
  for (let i = start; i < end; i++) {
    const digit = buf[i]! - 48;
    if (digit < 0 || digit > 9) return false;
  }
  const big = BigInt(buf.toString('latin1', start, end));
  if (big <= BigInt(Number.MAX_SAFE_INTEGER)) {
    out.value = Number(big);
  } else {
    out.value = Number.NaN;
    out.big = big;
  }
  return true;
}

/** The field's text, shortened, in double quotes (JSON escaping), for error messages. */
export function shown(buf: Buffer, start: number, end: number): string {
  const text = buf.toString('utf8', start, end);
  const chars = Array.from(text);
  return JSON.stringify(
    chars.length > SHOWN_CHARACTERS ? `${chars.slice(0, SHOWN_CHARACTERS).join('')}…` : text,
  );
}

/** Why a row with an empty song is rejected. */
export const EMPTY_SONG_REASON = 'Song must not be empty';

/** Why a row whose date is not `YYYY-MM-DD` is rejected. */
export function dateFormatReason(buf: Buffer, start: number, end: number): string {
  return `Date must be a date in YYYY-MM-DD form, got ${shown(buf, start, end)}`;
}

/** Why a row whose date does not exist (2020-02-30) is rejected. */
export function unrealDateReason(buf: Buffer, start: number, end: number): string {
  return `Date must be a real calendar date, got ${shown(buf, start, end)}`;
}

/** Why a row whose count is not a non-negative integer is rejected. */
export function playsReason(buf: Buffer, start: number, end: number): string {
  return `Number of Plays must be a non-negative integer, got ${shown(buf, start, end)}`;
}
