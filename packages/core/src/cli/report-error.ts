import { isPlaytallyError } from '../errors.js';
import { type CliContext, ExitCode, UsageError } from './cli-command.js';
import { ServerError } from './server-client.js';
import { FILE_ERROR_CODES, parseArgsMessage, systemErrorMessage } from './system-error-message.js';

const BAD_INPUT = new Set([
  'INVALID_ROW',
  'MISSING_COLUMNS',
  'EMPTY_INPUT',
  'LINE_TOO_LONG',
  'INVALID_INPUT',
]);

/** Prints what went wrong, for a person, and returns the exit code that says it to a script. */
export function reportError(error: unknown, context: CliContext, command?: string): number {
  const say = (message: string) => context.stderr.write(`playtally: ${message}\n`);
  if (context.signal.aborted || isPlaytallyError(error, 'ABORTED')) {
    say('interrupted');
    return ExitCode.Interrupted;
  }
  if (error instanceof UsageError || isParseArgsError(error)) {
    say(
      error instanceof UsageError
        ? error.message
        : parseArgsMessage(error as NodeJS.ErrnoException),
    );
    say(`see: playtally ${command ? `${command} ` : ''}--help`);
    return ExitCode.Usage;
  }
  if (error instanceof ServerError) {
    say(error.message);
    return error.exitCode;
  }
  if (isPlaytallyError(error) && BAD_INPUT.has(error.code)) {
    say(`bad input: ${error.message}`);
    return ExitCode.BadInput;
  }
  const code = (error as NodeJS.ErrnoException | undefined)?.code;
  // The reader of our output went away (`playtally generate | head`): nothing left to do.
  if (code === 'EPIPE') return ExitCode.Ok;
  if (code !== undefined && FILE_ERROR_CODES.has(code)) {
    say(systemErrorMessage(error as NodeJS.ErrnoException));
    return ExitCode.Failure;
  }
  say(error instanceof Error ? (error.stack ?? error.message) : String(error));
  return ExitCode.Failure;
}

function isParseArgsError(error: unknown): boolean {
  const code = (error as NodeJS.ErrnoException | undefined)?.code;
  return typeof code === 'string' && code.startsWith('ERR_PARSE_ARGS_');
}
