import { createReadStream, createWriteStream } from 'node:fs';
import { rename, rm, stat } from 'node:fs/promises';
import { availableParallelism } from 'node:os';
import { basename, dirname, join } from 'node:path';
import type { Readable, Writable } from 'node:stream';
import { parseArgs } from 'node:util';
import { aggregateCsv, aggregateFile } from '../engine/aggregate-csv.js';
import type { AggregateProgress, AggregateStatistics } from '../engine/types.js';
import { formatBytes, parseByteSize } from './byte-size.js';
import {
  type CliCommand,
  type CliContext,
  ExitCode,
  parseInvalidRowPolicy,
  UsageError,
} from './cli-command.js';
import { counted } from './counted.js';
import { createProgressBar } from './progress-bar.js';

const USAGE = `Usage: playtally aggregate <file|-> [options]

Totals the plays per song and day of a CSV with the columns Song, Date and
Number of Plays, and writes Song,Date,Total Number of Plays for Date sorted by
song (Unicode code point order) and date. "-" reads standard input.

Options:
  -o, --output <file>         write here (atomically, via a temporary file
                              renamed on success) instead of standard output
      --on-invalid fail|skip  fail at the first bad row (default), or skip
                              bad rows and report how many
      --memory-budget <size>  memory for the group table before sorted runs
                              spill to disk (default 256MiB)
      --temp-dir <dir>        where spill files go (default: the OS temp dir)
      --max-record <size>     longest record accepted (default 1MiB)
      --threads <n>           threads that aggregate parts of a file at once
                              (default: the available cores; standard input
                              is read by one thread); the memory budget is
                              shared among them
  -h, --help                  show this help

A progress bar with rate and ETA goes to stderr when stderr is a terminal.
Exit codes: 0 done, 1 bad input, 2 usage error, 3 I/O or other failure,
130 interrupted (Ctrl-C).`;

/** `playtally aggregate`: the engine on a file or standard input. */
export const aggregateCommand: CliCommand = {
  name: 'aggregate',
  summary: 'total the plays per song and day of a CSV file',
  usage: USAGE,
  async run(args, context) {
    const { values, positionals } = parseArgs({
      args: [...args],
      allowPositionals: true,
      options: {
        output: { type: 'string', short: 'o' },
        'on-invalid': { type: 'string', default: 'fail' },
        'memory-budget': { type: 'string', default: '256MiB' },
        'temp-dir': { type: 'string' },
        'max-record': { type: 'string', default: '1MiB' },
        threads: { type: 'string' },
      },
    });
    if (positionals.length !== 1)
      throw new UsageError('aggregate takes one input: a file, or - for standard input');
    const onInvalid = parseInvalidRowPolicy(values['on-invalid']);
    const memoryBudget = parseByteSize(values['memory-budget'], '--memory-budget');
    const maxRecordBytes = parseByteSize(values['max-record'], '--max-record');
    const threads = parseThreads(values.threads);
    const inputPath = positionals[0]!;
    const input = await openInput(inputPath, context);
    const output =
      values.output === undefined ? standardOutput(context) : fileOutput(values.output);
    const progress = createProgressBar(
      context,
      input.size === undefined ? {} : { totalBytes: input.size },
    );
    const options = {
      onInvalid,
      memoryBudget,
      maxRecordBytes,
      threads,
      signal: context.signal,
      progressIntervalMs: 100,
      onProgress: (p: AggregateProgress) => progress.update(p),
      ...(values['temp-dir'] === undefined ? {} : { tempDir: values['temp-dir'] }),
    };
    try {
      const statistics =
        input.stream === undefined
          ? await aggregateFile(inputPath, output.stream, options)
          : await aggregateCsv(input.stream, output.stream, options);
      progress.clear();
      await output.commit();
      report(statistics, context);
      return ExitCode.Ok;
    } catch (error) {
      progress.clear();
      input.stream?.destroy();
      await output.discard();
      throw error;
    }
  },
};

function parseThreads(value: string | undefined): number {
  if (value === undefined) return availableParallelism();
  const threads = Number(value);
  if (!/^\d+$/.test(value) || threads < 1 || threads > 1024) {
    throw new UsageError(`--threads must be a whole number from 1 to 1024, got "${value}"`);
  }
  return threads;
}

async function openInput(
  path: string,
  context: CliContext,
): Promise<{ stream?: Readable; size?: number }> {
  if (path === '-') return { stream: context.stdin };
  const info = await stat(path);
  if (info.isDirectory())
    throw Object.assign(new Error(`${path} is a directory`), {
      code: 'EISDIR',
      path,
      syscall: 'read',
    });
  // A regular file is opened by the engine, which splits it across threads; a pipe is streamed.
  if (info.isFile()) return { size: info.size };
  return { stream: createReadStream(path, { highWaterMark: 1 << 20 }) };
}

interface Output {
  readonly stream: Writable;
  /** Makes the output visible (renames the temporary file into place). */
  commit(): Promise<void>;
  /** Removes a partial output. */
  discard(): Promise<void>;
}

function standardOutput(context: CliContext): Output {
  return { stream: context.stdout, commit: async () => {}, discard: async () => {} };
}

function fileOutput(path: string): Output {
  const temporary = join(dirname(path), `.${basename(path)}.${process.pid}.partial`);
  const stream = createWriteStream(temporary, { highWaterMark: 1 << 20 });
  // Errors reach the engine through its own listener; this one keeps a late one from crashing.
  stream.on('error', () => {});
  const closed = new Promise<void>((resolve) => stream.once('close', resolve));
  return {
    stream,
    async commit() {
      await closed;
      await rename(temporary, path);
    },
    async discard() {
      stream.destroy();
      await closed;
      await rm(temporary, { force: true });
    },
  };
}

function report(statistics: AggregateStatistics, context: CliContext): void {
  const { rowsRead, groupsWritten, durationMs, bytesRead, rowsRejected, rejectedExamples } =
    statistics;
  if (context.stderr.isTTY) {
    const rate = durationMs > 0 ? `, ${formatBytes((bytesRead / durationMs) * 1000)}/s` : '';
    context.stderr.write(
      `${counted(rowsRead, 'row')} → ${counted(groupsWritten, 'group')} in ${(durationMs / 1000).toFixed(1)} s${rate}\n`,
    );
  }
  if (rowsRejected > 0) {
    const examples = rejectedExamples.map((row) => `  line ${row.line}: ${row.reason}\n`).join('');
    context.stderr.write(
      `playtally: skipped ${counted(rowsRejected, 'invalid row')}, for example:\n${examples}`,
    );
  }
}
