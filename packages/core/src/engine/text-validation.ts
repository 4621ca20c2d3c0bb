import { isUtf8 } from 'node:buffer';

/** Why a byte makes the input unreadable as CSV text. */
export interface InvalidByte {
  readonly offset: number;
  readonly reason: string;
}

/**
 * Checks that `buf[start, end)` is UTF-8 text without NUL bytes (NUL means a binary file).
 * The common case costs two native passes (simdutf validation and memchr); only a failure
 * walks the bytes in JavaScript to find and describe the first bad one.
 */
export function findInvalidByte(buf: Buffer, start: number, end: number): InvalidByte | undefined {
  const region = buf.subarray(start, end);
  if (isUtf8(region) && region.indexOf(0) === -1) return undefined;
  for (let i = start; i < end; ) {
    const c = buf[i]!;
    if (c === 0) return { offset: i, reason: 'a NUL byte (is this a binary file?)' };
    if (c < 0x80) {
      i++;
      continue;
    }
    const length = sequenceLength(buf, i, end);
    if (length === 0) {
      return { offset: i, reason: `a byte that is not UTF-8 text (0x${hex(c)})` };
    }
    i += length;
  }
  return undefined;
}

/** Length of the valid UTF-8 sequence at `i` (2 to 4), or 0. */
function sequenceLength(buf: Buffer, i: number, end: number): number {
  const c = buf[i]!;
  const c1 = i + 1 < end ? buf[i + 1]! : 0;
  const c2 = i + 2 < end ? buf[i + 2]! : 0;
  const c3 = i + 3 < end ? buf[i + 3]! : 0;
  const cont = (b: number) => b >= 0x80 && b <= 0xbf;
  if (c >= 0xc2 && c <= 0xdf) return cont(c1) ? 2 : 0;
  if (c >= 0xe0 && c <= 0xef) {
    const low = c === 0xe0 ? 0xa0 : 0x80;
    const high = c === 0xed ? 0x9f : 0xbf;
    return c1 >= low && c1 <= high && cont(c2) ? 3 : 0;
  }
  if (c >= 0xf0 && c <= 0xf4) {
    const low = c === 0xf0 ? 0x90 : 0x80;
    const high = c === 0xf4 ? 0x8f : 0xbf;
    return c1 >= low && c1 <= high && cont(c2) && cont(c3) ? 4 : 0;
  }
  return 0;
}

function hex(byte: number): string {
  return byte.toString(16).toUpperCase().padStart(2, '0');
}
