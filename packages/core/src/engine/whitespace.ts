/**
 * Trimming on UTF-8 bytes with exactly the whitespace set of `String.prototype.trim`
 * (ASCII tab, LF, VT, FF, CR and space; U+00A0, U+1680, U+2000–U+200A, U+2028, U+2029, U+202F,
 * U+205F, U+3000, U+FEFF), so trimming bytes and trimming the decoded string always agree.
 */

/** Length in bytes of the whitespace character starting at `i`, or 0. */
function whitespaceAt(buf: Uint8Array, i: number, end: number): number {
  const c = buf[i]!;
  if (c === 0x20 || (c >= 0x09 && c <= 0x0d)) return 1;
  if (c < 0xc2) return 0;
  const c1 = i + 1 < end ? buf[i + 1]! : 0;
  if (c === 0xc2) return c1 === 0xa0 ? 2 : 0;
  const c2 = i + 2 < end ? buf[i + 2]! : 0;
  if (c === 0xe1) return c1 === 0x9a && c2 === 0x80 ? 3 : 0;
  if (c === 0xe2) {
    if (c1 === 0x80) return c2 <= 0x8a || c2 === 0xa8 || c2 === 0xa9 || c2 === 0xaf ? 3 : 0;
    return c1 === 0x81 && c2 === 0x9f ? 3 : 0;
  }
  if (c === 0xe3) return c1 === 0x80 && c2 === 0x80 ? 3 : 0;
  if (c === 0xef) return c1 === 0xbb && c2 === 0xbf ? 3 : 0;
  return 0;
}

/** Length in bytes of the whitespace character ending just before `end`, or 0. */
function whitespaceBefore(buf: Uint8Array, start: number, end: number): number {
  const c = buf[end - 1]!;
  if (c < 0x80) return c === 0x20 || (c >= 0x09 && c <= 0x0d) ? 1 : 0;
  if (end - start >= 2 && whitespaceAt(buf, end - 2, end) === 2) return 2;
  if (end - start >= 3 && whitespaceAt(buf, end - 3, end) === 3) return 3;
  return 0;
}

/** First index of `buf[start, end)` after leading whitespace. */
export function trimStartIndex(buf: Uint8Array, start: number, end: number): number {
  let i = start;
  while (i < end) {
    const c = buf[i]!;
    // Fast exit for the common case: a printable ASCII character that is not a space.
    if (c > 0x20 && c < 0x80) return i;
    const n = whitespaceAt(buf, i, end);
    if (n === 0) return i;
    i += n;
  }
  return i;
}

/** End index of `buf[start, end)` before trailing whitespace. */
export function trimEndIndex(buf: Uint8Array, start: number, end: number): number {
  let e = end;
  while (e > start) {
    const c = buf[e - 1]!;
    if (c > 0x20 && c < 0x80) return e;
    const n = whitespaceBefore(buf, start, e);
    if (n === 0) return e;
    e -= n;
  }
  return e;
}
