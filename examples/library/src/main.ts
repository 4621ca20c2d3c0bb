/**
 * The smallest program on `@playtally/core`: aggregates a CSV of song plays with `aggregateCsv`,
 * writes the totals to stdout (or a file) and prints the run's statistics to stderr.
 *
 *   npx tsx src/main.ts plays.csv                 # totals on stdout
 *   npx tsx src/main.ts plays.csv totals.csv      # totals into totals.csv
 *   npx tsx src/main.ts --skip plays.csv          # count and report bad rows instead of failing
 */
import { createReadStream, createWriteStream } from 'node:fs';
import { rm } from 'node:fs/promises';
import { Writable } from 'node:stream';
import { parseArgs } from 'node:util';
import { type AggregateStatistics, aggregateCsv, isPlaytallyError } from '@playtally/core';

const usage = 'usage: main.ts [--skip] <input.csv> [output.csv]';
let args: ReturnType<typeof parseCommandLine>;
try {
  args = parseCommandLine();
} catch (error) {
  console.error(`${error instanceof Error ? error.message : String(error)}\n${usage}`);
  process.exit(2);
}
const { skip, input, output } = args;

// stdout must never be ended, so the engine gets a writable that forwards to it and resolves
// each write once stdout has taken it.
const toStdout = () =>
  new Writable({ write: (chunk, _encoding, done) => process.stdout.write(chunk, done) });

const sink = output === undefined ? toStdout() : createWriteStream(output);
try {
  const statistics = await aggregateCsv(createReadStream(input), sink, {
    onInvalid: skip ? 'skip' : 'fail',
  });
  console.error(formatStatistics(statistics));
} catch (error) {
  sink.destroy();
  // A failed run's output is partial: do not leave it behind looking like a result.
  if (output !== undefined) await rm(output, { force: true });
  const reason = error instanceof Error ? error.message : String(error);
  console.error(isPlaytallyError(error) ? `error ${error.code}: ${reason}` : `error: ${reason}`);
  process.exitCode = 1;
}

function formatStatistics(statistics: AggregateStatistics): string {
  const lines = [
    `rows read:      ${statistics.rowsRead}`,
    `rows rejected:  ${statistics.rowsRejected}`,
    ...statistics.rejectedExamples.map((row) => `  line ${row.line}: ${row.reason}`),
    `groups written: ${statistics.groupsWritten}`,
    `bytes read:     ${statistics.bytesRead}`,
    `spilled runs:   ${statistics.spilledRuns}`,
    `duration:       ${Math.round(statistics.durationMs)} ms`,
  ];
  return lines.join('\n');
}

function parseCommandLine(): { skip: boolean; input: string; output: string | undefined } {
  const { values, positionals } = parseArgs({
    allowPositionals: true,
    options: { skip: { type: 'boolean', default: false } },
  });
  const [input, output] = positionals;
  if (input === undefined) throw new Error('missing the input file');
  if (positionals.length > 2) throw new Error(`unexpected argument: ${positionals[2]}`);
  return { skip: values.skip, input, output };
}
