import type { Readable, Writable } from 'node:stream';
import type { InvalidRowPolicy } from '../engine/types.js';

/** What a command gets from the process: streams, and a signal that fires on Ctrl-C. */
export interface CliContext {
  readonly stdin: Readable;
  readonly stdout: Writable;
  readonly stderr: Writable & { readonly isTTY?: boolean; readonly columns?: number };
  /** Fires on SIGINT; a command stops promptly, cleans up, and returns {@link ExitCode.Interrupted}. */
  readonly signal: AbortSignal;
}

/** One `playtally <name>` subcommand. Add an entry to `commands.ts` to add a command. */
export interface CliCommand {
  readonly name: string;
  /** One line for `playtally --help`. */
  readonly summary: string;
  /** The full text of `playtally <name> --help`. */
  readonly usage: string;
  /** Runs the command with the arguments after its name; resolves to the exit code. */
  run(args: readonly string[], context: CliContext): Promise<number>;
}

/** Exit codes of the `playtally` CLI. */
export const ExitCode = {
  Ok: 0,
  /** The input is bad: an invalid row, missing columns, empty input, a huge line, not CSV text. */
  BadInput: 1,
  /** The command line is wrong: unknown command or option, bad value. */
  Usage: 2,
  /** Anything else: a file that cannot be read or written, an unexpected failure. */
  Failure: 3,
  /** Stopped by SIGINT (Ctrl-C). */
  Interrupted: 130,
} as const;

/** A mistake on the command line; printed with a hint, exits with {@link ExitCode.Usage}. */
export class UsageError extends Error {
  override readonly name = 'UsageError';
}

/** The `--on-invalid` option of `aggregate` and `submit`, checked. */
export function parseInvalidRowPolicy(value: string | undefined): InvalidRowPolicy {
  if (value === 'fail' || value === 'skip') return value;
  throw new UsageError(`--on-invalid must be fail or skip, got "${value}"`);
}
