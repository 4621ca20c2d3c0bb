/** Structured fields attached to a log line, e.g. `{ jobId }`. */
export type LogFields = Record<string, unknown>;

/** One log level: a message alone, or fields first and then the message (pino's order). */
export interface LogMethod {
  (message: string): void;
  (fields: LogFields, message?: string): void;
}

/**
 * The logging the service needs: the subset of pino's API it calls, so core never depends on a
 * logging library. A pino logger satisfies it as is; so does {@link silentLogger}.
 *
 * @example
 * ```ts
 * import pino from 'pino';
 * import { createJobWorker } from '@playtally/core';
 * const worker = createJobWorker({ jobs, blobs, transport, logger: pino() });
 * ```
 */
export interface Logger {
  debug: LogMethod;
  info: LogMethod;
  warn: LogMethod;
  error: LogMethod;
  /** A logger that adds `bindings` to every line. */
  child(bindings: LogFields): Logger;
}

const ignore = (): void => {};

/** A {@link Logger} that drops everything: the default when none is given. */
export const silentLogger: Logger = {
  debug: ignore,
  info: ignore,
  warn: ignore,
  error: ignore,
  child: () => silentLogger,
};

/** The fields pino expects for an error (`err`), from anything thrown. */
export function errorFields(error: unknown): LogFields {
  return { err: error instanceof Error ? error : new Error(String(error)) };
}
