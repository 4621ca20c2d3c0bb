import { PlaytallyError } from '@playtally/core';

/**
 * The `INVALID_INPUT` of a `put` whose source is not the size it was announced with
 * (`expectedBytes`): longer (`ended` false, at the first byte too many) or shorter (`ended`
 * true). Every store answers it in the same words.
 *
 * @example
 * ```ts
 * import { expectedBytesError } from '@playtally/service';
 * throw expectedBytesError(1000, 900, true); // "the upload ended after 900 bytes, but 1000 were announced"
 * ```
 */
export function expectedBytesError(
  expectedBytes: number,
  receivedBytes: number,
  ended: boolean,
): PlaytallyError {
  const message = ended
    ? `the upload ended after ${receivedBytes} bytes, but ${expectedBytes} were announced`
    : `the upload has more bytes than the ${expectedBytes} announced`;
  return new PlaytallyError('INVALID_INPUT', message, {
    details: { expectedBytes, receivedBytes },
  });
}
