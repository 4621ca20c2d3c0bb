/**
 * The registry of error codes. Each package adds the codes it throws by augmenting this
 * interface (`declare module '@playtally/core' { interface PlaytallyErrorCodes { MY_CODE: true } }`),
 * so {@link PlaytallyErrorCode} is the union of every code of the packages a program uses. The
 * engine's own codes are listed here. A code never changes meaning once released; add new codes
 * instead. HTTP status mapping lives in `@playtally/http`.
 */
export interface PlaytallyErrorCodes {
  /** The input is not what the operation accepts (bad option, invalid UTF-8, binary data). */
  INVALID_INPUT: true;
  /** The CSV header lacks a required column; the message lists the columns found. */
  MISSING_COLUMNS: true;
  /** A row does not validate; the message names its line and the reason. */
  INVALID_ROW: true;
  /** The input has no header row. */
  EMPTY_INPUT: true;
  /** One record is longer than the engine's record limit. */
  LINE_TOO_LONG: true;
  /** An AbortSignal stopped the work. */
  ABORTED: true;
  /** A value failed its rules (an option out of range, a message failing its schema). */
  VALIDATION_FAILED: true;
  /** The operation does not fit the current state (a result not ready, a job already done). */
  CONFLICT: true;
  /** A configuration value (option, URL, environment variable) is invalid; the message names it. */
  CONFIG_INVALID: true;
  /** A bug or an unexpected failure; the message says what was being done. */
  INTERNAL: true;
}

/** A stable, machine-readable error code: any key of {@link PlaytallyErrorCodes}. */
export type PlaytallyErrorCode = keyof PlaytallyErrorCodes;

/**
 * The one error type playtally throws on purpose. `code` is stable; `message` is written for a
 * person and carries the context they need (file line, topic, job id); `details` holds the same
 * context as data.
 *
 * @example
 * ```ts
 * import { aggregateCsv, PlaytallyError } from '@playtally/core';
 * try {
 *   await aggregateCsv(['Song,Date,Number of Plays\nA,2020-01-01,x\n'], process.stdout);
 * } catch (e) {
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

/**
 * The message of anything thrown, for logs, dead-letter reasons and job errors: an Error's
 * message (or its name when the message is empty), a string as is, anything else via `String`.
 */
export function errorMessage(error: unknown): string {
  if (error instanceof Error) return error.message || error.name;
  return typeof error === 'string' ? error : String(error);
}
