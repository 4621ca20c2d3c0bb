import { once } from 'node:events';
import { createWriteStream } from 'node:fs';
import { rename, rm } from 'node:fs/promises';
import { basename, dirname, extname, join } from 'node:path';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import type { ReadableStream as WebReadableStream } from 'node:stream/web';
import { parseArgs } from 'node:util';
import { formatBytes } from '../engine/byte-size.js';
import {
  type CliCommand,
  type CliContext,
  ExitCode,
  parseInvalidRowPolicy,
  UsageError,
} from './cli-command.js';
import { counted } from './counted.js';
import { followJob } from './follow-job.js';
import { createProgressBar, type ProgressBar } from './progress-bar.js';
import type { RemoteJob } from './server-client.js';
import { SERVER_OPTIONS, SERVER_USAGE, serverClient } from './server-options.js';

const USAGE = `Usage: playtally submit <file> [options]

Uploads a CSV of plays to a playtally server, follows the job until it ends,
and writes the totals it produced.

Options:
  -o, --output <file>         write the totals here ("-" for standard output;
                              default: <file>-totals.csv in the current folder)
      --on-invalid fail|skip  fail at the first bad row (default), or skip
                              bad rows and report how many
${SERVER_USAGE}
  -h, --help                  show this help

Progress bars for the upload and the job go to stderr when it is a terminal.
The job is followed live over the server's WebSocket when Node has one
(Node 22+), and by polling otherwise. Ctrl-C stops following; the job goes on.
Exit codes: 0 done, 1 the job failed on bad input (the line is printed),
2 usage error, 3 the server failed, refused or could not be reached,
130 interrupted.`;

/** The engine's codes for input that is not a valid CSV of plays. */
const BAD_INPUT = new Set([
  'INVALID_ROW',
  'MISSING_COLUMNS',
  'EMPTY_INPUT',
  'LINE_TOO_LONG',
  'INVALID_INPUT',
]);

/** `playtally submit`: the CLI as a client of a running server. */
export const submitCommand: CliCommand = {
  name: 'submit',
  summary: 'upload a CSV to a playtally server, follow the job, write the totals',
  usage: USAGE,
  async run(args, context) {
    const { values, positionals } = parseArgs({
      args: [...args],
      allowPositionals: true,
      options: {
        output: { type: 'string', short: 'o' },
        'on-invalid': { type: 'string', default: 'fail' },
        ...SERVER_OPTIONS,
      },
    });
    if (positionals.length !== 1) throw new UsageError('submit takes one file to upload');
    const onInvalid = parseInvalidRowPolicy(values['on-invalid']);
    const input = positionals[0]!;
    const client = serverClient(values);
    const say = (line: string) => context.stderr.write(`${line}\n`);

    let bar: ProgressBar = createProgressBar(context, { label: 'upload' });
    let job = await client.upload(input, {
      onInvalid,
      signal: context.signal,
      onProgress: (sent, total) => {
        if (sent === 0) bar = createProgressBar(context, { label: 'upload', totalBytes: total });
        bar.update({ bytesRead: sent, rowsRead: 0 });
      },
    });
    bar.clear();
    say(`uploaded ${input} (${formatBytes(job.sizeBytes)}) as job ${job.id}`);

    bar = createProgressBar(context, { label: 'job', totalBytes: job.sizeBytes });
    job = await followJob(client, job.id, {
      signal: context.signal,
      onMethod: (method) =>
        say(
          method === 'websocket'
            ? 'following the job live (WebSocket)'
            : 'following the job (polling)',
        ),
      onUpdate: (update) => bar.update(update.progress),
    });
    bar.clear();
    return finish(job, input, values.output, client, context);
  },
};

async function finish(
  job: RemoteJob,
  input: string,
  output: string | undefined,
  client: ReturnType<typeof serverClient>,
  context: CliContext,
): Promise<number> {
  const say = (line: string) => context.stderr.write(`${line}\n`);
  if (job.status === 'failed') {
    const code = job.error?.code ?? 'INTERNAL';
    say(`playtally: job ${job.id} failed: ${job.error?.message ?? 'no reason given'}`);
    return BAD_INPUT.has(code) ? ExitCode.BadInput : ExitCode.Failure;
  }
  if (job.status === 'cancelled') {
    say(`playtally: job ${job.id} was cancelled`);
    return ExitCode.Failure;
  }
  const target = output ?? defaultOutput(input);
  const result = Readable.fromWeb(
    (await client.result(job.id, context.signal)) as WebReadableStream<Uint8Array>,
  );
  if (target === '-') {
    for await (const chunk of result) {
      if (!context.stdout.write(chunk)) await once(context.stdout, 'drain');
    }
  } else {
    await writeAtomically(result, target);
  }
  const stats = job.statistics;
  if (stats) {
    say(
      `job ${job.id} succeeded: ${counted(stats.rowsRead, 'row')} → ${counted(stats.groupsWritten, 'group')} in ${(stats.durationMs / 1000).toFixed(1)} s${target === '-' ? '' : `, wrote ${target}`}`,
    );
    if (stats.rowsRejected > 0) {
      const examples = stats.rejectedExamples
        .map((row) => `  line ${row.line}: ${row.reason}\n`)
        .join('');
      context.stderr.write(
        `playtally: skipped ${counted(stats.rowsRejected, 'invalid row')}, for example:\n${examples}`,
      );
    }
  }
  return ExitCode.Ok;
}

/** `plays.csv` → `plays-totals.csv`, in the current folder. */
function defaultOutput(input: string): string {
  const name = basename(input);
  const extension = extname(name);
  return `${extension ? name.slice(0, -extension.length) : name}-totals${extension || '.csv'}`;
}

async function writeAtomically(source: Readable, path: string): Promise<void> {
  const temporary = join(dirname(path), `.${basename(path)}.${process.pid}.partial`);
  try {
    await pipeline(source, createWriteStream(temporary));
    await rename(temporary, path);
  } catch (error) {
    await rm(temporary, { force: true });
    throw error;
  }
}
