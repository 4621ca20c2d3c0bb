/**
 * Stable, machine-readable error codes. A code never changes meaning once released; add new
 * codes instead. HTTP status mapping lives in `@playtally/http`.
 */
export type PlaytallyErrorCode =
  | 'INVALID_INPUT'
  | 'MISSING_COLUMNS'
  | 'INVALID_ROW'
  | 'EMPTY_INPUT'
  | 'LINE_TOO_LONG'
  | 'ABORTED'
  | 'NOT_FOUND'
  | 'CONFLICT'
  | 'PAYLOAD_TOO_LARGE'
  | 'UNSUPPORTED_MEDIA_TYPE'
  | 'UNAUTHORIZED'
  | 'VALIDATION_FAILED'
  | 'TRANSPORT_ERROR'
  | 'TRANSPORT_CLOSED'
  | 'UNKNOWN_TRANSPORT'
  | 'ADAPTER_NOT_INSTALLED'
  | 'STORE_ERROR'
  | 'CONFIG_INVALID'
  | 'NOT_READY'
  | 'INTERNAL';

/**
 * The one error type playtally throws on purpose. `code` is stable; `message` is written for a
 * person and carries the context they need (file line, topic, job id); `details` holds the same
 * context as data.
 *
 * @example
 * ```ts
 * import { PlaytallyError } from '@playtally/core';
 * try { await run(); } catch (e) {
 *   if (e instanceof PlaytallyError && e.code === 'INVALID_ROW') console.error(e.message);
 * }
 * ```
 */
export class PlaytallyError extends Error {
  override readonly name = 'PlaytallyError';
  readonly code: PlaytallyErrorCode;
  readonly details: Readonly<Record<string, unknown>> | undefined;

  constructor(
    code: PlaytallyErrorCode,
    message: string,
    options: { details?: Record<string, unknown>; cause?: unknown } = {},
  ) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.code = code;
    this.details = options.details;
  }
}

/** True when `error` is a {@link PlaytallyError}, optionally with the given code. */
export function isPlaytallyError(
  error: unknown,
  code?: PlaytallyErrorCode,
): error is PlaytallyError {
  return error instanceof PlaytallyError && (code === undefined || error.code === code);
}
