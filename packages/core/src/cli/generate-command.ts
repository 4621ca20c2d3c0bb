import { createWriteStream } from 'node:fs';
import { parseArgs } from 'node:util';
import { createSinkWriter } from '../engine/sink-writer.js';
import { parseCount } from './byte-size.js';
import { type CliCommand, ExitCode, UsageError } from './cli-command.js';
import { generatePlays } from './play-generator.js';

const USAGE = `Usage: playtally generate [options]

Writes a deterministic, realistic song-play CSV (Song,Date,Number of Plays):
the same options always give the same bytes. Some song names hold commas and
quotes (quoted fields), accents, other scripts and emoji.

Options:
      --rows <n>       data rows (default 1000; 10M, 20k and 1e6 work too)
      --songs <n>      distinct songs (default 100)
      --days <n>       distinct days from 2020-01-01 (default 30)
      --seed <n>       seed of the pseudo-random sequence (default 1)
  -o, --output <file>  write here instead of standard output
  -h, --help           show this help`;

/** `playtally generate`: test and benchmark data. */
export const generateCommand: CliCommand = {
  name: 'generate',
  summary: 'write deterministic, realistic song-play CSV test data',
  usage: USAGE,
  async run(args, context) {
    const { values } = parseArgs({
      args: [...args],
      allowPositionals: false,
      options: {
        rows: { type: 'string', default: '1000' },
        songs: { type: 'string', default: '100' },
        days: { type: 'string', default: '30' },
        seed: { type: 'string', default: '1' },
        output: { type: 'string', short: 'o' },
      },
    });
    const rows = parseCount(values.rows, '--rows');
    const songs = parseCount(values.songs, '--songs');
    const days = parseCount(values.days, '--days');
    const seed = parseCount(values.seed, '--seed');
    if (songs < 1 || days < 1) throw new UsageError('--songs and --days must be at least 1');
    if (days > 2_000_000)
      throw new UsageError('--days must be at most 2000000 (dates stay before year 7500)');
    const output = values.output;
    const sink =
      output === undefined ? context.stdout : createWriteStream(output, { highWaterMark: 1 << 20 });
    const writer = createSinkWriter(sink);
    try {
      for (const chunk of generatePlays({ rows, songs, days, seed })) {
        if (context.signal.aborted) throw context.signal.reason;
        await writer.write(chunk);
      }
      await writer.end();
    } catch (error) {
      writer.release();
      if (output !== undefined) sink.destroy();
      throw error;
    }
    return ExitCode.Ok;
  },
};
