const UNRECOVERABLE = Symbol.for('playtally.unrecoverable');

/**
 * Thrown by a handler (or a worker's processor) when retrying cannot help: the transport
 * dead-letters the event at once, with this error's message as `deadletterreason`, instead of
 * delivering it again until `maxAttempts`. Use it for input that will never be valid; throw any
 * other error for failures that may pass (a database briefly down, a timeout).
 *
 * It is recognised by a registered symbol, not by `instanceof`, so it still works when two
 * copies of this package end up in one program.
 *
 * @example
 * ```ts
 * import { createMemoryTransport, UnrecoverableError } from '@playtally/transport';
 * const transport = createMemoryTransport();
 * await transport.subscribe('orders', async (event) => {
 *   if (typeof event.data !== 'object') throw new UnrecoverableError('an order must be an object');
 * }, { group: 'billing' });
 * ```
 */
export class UnrecoverableError extends Error {
  override readonly name = 'UnrecoverableError';
  readonly [UNRECOVERABLE] = true;

  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
  }
}

/** True when `error` is an {@link UnrecoverableError} (from any copy of this package). */
export function isUnrecoverableError(error: unknown): error is UnrecoverableError {
  return typeof error === 'object' && error !== null && UNRECOVERABLE in error;
}
