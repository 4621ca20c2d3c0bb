import { parseArgs } from 'node:util';
import { formatBytes } from '../engine/byte-size.js';
import { parseCount } from './byte-size.js';
import { type CliCommand, ExitCode, UsageError } from './cli-command.js';
import type { RemoteJob } from './server-client.js';
import { SERVER_OPTIONS, SERVER_USAGE, serverClient } from './server-options.js';

const USAGE = `Usage: playtally jobs [options]

Lists the most recent jobs of a playtally server, newest first.

Options:
      --limit <n>             how many (default 20, at most 500)
${SERVER_USAGE}
  -h, --help                  show this help`;

/** `playtally jobs`: the recent jobs of a server, as a table. */
export const jobsCommand: CliCommand = {
  name: 'jobs',
  summary: 'list the recent jobs of a playtally server',
  usage: USAGE,
  async run(args, context) {
    const { values } = parseArgs({
      args: [...args],
      allowPositionals: false,
      options: { limit: { type: 'string', default: '20' }, ...SERVER_OPTIONS },
    });
    const limit = parseCount(values.limit, '--limit');
    if (limit < 1 || limit > 500)
      throw new UsageError(`--limit must be from 1 to 500, got ${limit}`);
    const jobs = await serverClient(values).jobs(limit, context.signal);
    if (jobs.length === 0) {
      context.stderr.write('no jobs yet\n');
      return ExitCode.Ok;
    }
    context.stdout.write(formatTable(jobs));
    return ExitCode.Ok;
  },
};

/** One line per job, columns aligned; the error message of a failed job after it. */
export function formatTable(jobs: readonly RemoteJob[]): string {
  const rows = [
    ['ID', 'STATUS', 'CREATED', 'SIZE', 'ROWS', 'FILE'],
    ...jobs.map((job) => [
      job.id,
      job.status,
      job.createdAt.replace('T', ' ').slice(0, 19),
      formatBytes(job.sizeBytes),
      (job.statistics?.rowsRead ?? job.progress.rowsRead).toLocaleString('en-US'),
      job.filename,
    ]),
  ];
  const widths = rows[0]!.map((_, column) => Math.max(...rows.map((row) => row[column]!.length)));
  const lines = rows.map((row, index) => {
    const line = row
      .map((cell, column) => (column === row.length - 1 ? cell : cell.padEnd(widths[column]!)))
      .join('  ');
    const job = jobs[index - 1];
    return job?.error ? `${line}\n    ${job.error.message}` : line;
  });
  return `${lines.join('\n')}\n`;
}
