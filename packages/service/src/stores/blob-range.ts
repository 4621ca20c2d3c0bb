import { PlaytallyError } from '@playtally/core';
import type { BlobRange } from '../ports/blob-store.js';

/** A checked {@link BlobRange}: `end` is `undefined` for "to the end of the blob". */
export interface CheckedBlobRange {
  readonly start: number;
  readonly end: number | undefined;
}

/**
 * Checks the range of a `read`: whole, non-negative byte offsets with `start <= end`. Rejects
 * with `INVALID_INPUT` naming the key and the range otherwise, so every store answers a bad range
 * the same way before touching its backend.
 *
 * @example
 * ```ts
 * import { checkBlobRange } from '@playtally/service';
 * checkBlobRange('uploads/…', { start: 10 }); // { start: 10, end: undefined }
 * ```
 */
export function checkBlobRange(key: string, range: BlobRange = {}): CheckedBlobRange {
  const start = range.start ?? 0;
  const end = range.end;
  const whole = (value: number) => Number.isSafeInteger(value) && value >= 0;
  if (!whole(start) || (end !== undefined && (!whole(end) || end < start))) {
    throw new PlaytallyError(
      'INVALID_INPUT',
      `Blob range of "${key}" must be whole byte offsets with 0 <= start <= end, got start ${String(range.start)}, end ${String(range.end)}`,
      { details: { key, start: range.start, end: range.end } },
    );
  }
  return { start, end };
}
