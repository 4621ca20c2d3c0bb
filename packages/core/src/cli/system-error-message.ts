import { existsSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';

/** What each file-system failure means, as a person would say it. */
const REASONS: Readonly<Record<string, string>> = {
  ENOENT: 'no such file or folder',
  EACCES: 'permission denied',
  EPERM: 'permission denied',
  EISDIR: 'it is a folder, not a file',
  ENOTDIR: 'a part of the path is not a folder',
  ENOSPC: 'the disk is full',
  EROFS: 'the file system is read-only',
  EMFILE: 'too many open files',
};

/** The codes {@link systemErrorMessage} describes. */
export const FILE_ERROR_CODES: ReadonlySet<string> = new Set(Object.keys(REASONS));

/**
 * A plain sentence for a failed file operation: what could not be done to which file, and
 * why (`cannot read missing.csv: no such file or folder`). The temporary file an output is
 * written to is named as the output itself, and a missing folder of an output is named.
 */
export function systemErrorMessage(error: NodeJS.ErrnoException): string {
  const reason = REASONS[error.code ?? ''] ?? error.message;
  if (error.path === undefined) return reason;
  const partial = /^\.(.+)\.\d+\.partial$/.exec(basename(error.path));
  const path = partial?.[1] === undefined ? error.path : join(dirname(error.path), partial[1]);
  const syscall = error.syscall ?? '';
  const verb = partial
    ? 'write'
    : syscall === 'open'
      ? 'open'
      : /stat|access|read|scandir/.test(syscall)
        ? 'read'
        : 'write';
  const folder = dirname(path);
  if (error.code === 'ENOENT' && !existsSync(folder)) {
    return `cannot ${verb} ${path}: the folder ${folder} does not exist`;
  }
  return `cannot ${verb} ${path}: ${reason}`;
}

/**
 * `node:util` `parseArgs` errors rewritten as one plain sentence: its own messages quote
 * options with unbalanced quotes and suggest `--` syntax the user did not ask about.
 */
export function parseArgsMessage(error: NodeJS.ErrnoException): string {
  const quoted = /'([^']+)'/.exec(error.message)?.[1] ?? '';
  switch (error.code) {
    case 'ERR_PARSE_ARGS_UNKNOWN_OPTION':
      return `unknown option ${quoted}`;
    case 'ERR_PARSE_ARGS_INVALID_OPTION_VALUE': {
      const long = /--[a-z-]+/.exec(quoted)?.[0] ?? quoted;
      return /argument missing/.test(error.message)
        ? `${long} needs a value`
        : `${long} does not take a value`;
    }
    case 'ERR_PARSE_ARGS_UNEXPECTED_POSITIONAL':
      return `unexpected argument "${quoted}"`;
    default:
      return error.message;
  }
}
