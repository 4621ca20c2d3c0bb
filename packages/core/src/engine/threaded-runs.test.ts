import { createReadStream } from 'node:fs';
import { mkdir, mkdtemp, readdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable, Writable } from 'node:stream';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { generatePlays } from '../cli/play-generator.js';
import { aggregateCsvTuned } from './aggregate-csv.js';
import { aggregateTotalsTuned } from './aggregate-totals.js';
import { DEFAULT_TUNING, type EngineTuning } from './aggregation.js';
import { AggregationThread } from './aggregation-thread.js';
import { aggregateToText, collectingSink } from './engine-harness.js';
import type { AggregateOptions, AggregateProgress } from './types.js';

/** Files of a few hundred KiB, split every 4 KiB or so. */
const SPLIT: EngineTuning = {
  ...DEFAULT_TUNING,
  minRangeBytes: 4096,
  rangesPerThread: 8,
  reuseThreads: true,
  minSlicedMergeGroups: 1,
  runIndexEvery: 64,
};
const HEADER = 'Song,Date,Number of Plays\n';
const plays = Buffer.concat([...generatePlays({ rows: 20_000, songs: 300, days: 40, seed: 7 })]);

let dir: string;
let tempDir: string;
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'playtally-thread-runs-'));
  tempDir = join(dir, 'temp');
  await mkdir(tempDir);
});
afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

async function runOnFile(
  bytes: Buffer | string,
  options: AggregateOptions,
  tuning: EngineTuning = SPLIT,
) {
  const path = join(dir, 'input.csv');
  await writeFile(path, bytes);
  const { sink, text } = collectingSink();
  const statistics = await aggregateCsvTuned(path, sink, { tempDir, ...options }, tuning);
  return { text: text(), statistics };
}

const rows = (count: number, from = 0) =>
  Array.from(
    { length: count },
    (_, i) => `Song ${(from + i) % 97},2020-01-0${1 + (i % 9)},${i}\n`,
  ).join('');

describe('errors and rejected rows across threads', () => {
  it('reports the bad row with the smallest line, even when a later range fails first', async () => {
    // The bad row of the first half ends it, and is met last; the bad row of the second half
    // is its second row, met at once. A single pass meets the first one first.
    const first = `${HEADER}${rows(300_000)}Early,2020-01-01,x\n`;
    const second = `Filler,2020-01-01,1\nLate,2020-13-01,1\n${rows(299_000, 7)}`;
    // Pad the second half so that the file is twice the first: the split target is the first
    // byte of the second half, and the split point the end of its first row.
    const pad = first.length - second.length - 'Pad,2020-01-01,1\n'.length;
    const input = `${first}${second}Pad${'d'.repeat(pad)},2020-01-01,1\n`;
    const expected = await aggregateToText(input).catch((error: Error) => error.message);
    expect(expected).toBe('line 300002: Number of Plays must be a non-negative integer, got "x"');
    const actual = await runOnFile(input, { threads: 2 }, { ...SPLIT, rangesPerThread: 1 }).catch(
      (error: Error) => error,
    );
    expect(actual).toMatchObject({
      code: 'INVALID_ROW',
      message: expected,
      details: { line: 300002 },
    });
    expect(await readdir(tempDir)).toEqual([]);
  });

  it('counts stray quotes like one pass, though they throw the split off (skip policy)', async () => {
    // `x"y` is a quote inside an unquoted field: rejected, and the parity of every later quote is
    // off by one, so split points land inside the later quoted, multi-line songs.
    const body = Array.from({ length: 3000 }, (_, i) =>
      i % 10 === 3 ? `"Two\nLines ${i % 7}",2020-01-02,${i}\n` : `Song ${i % 50},2020-01-01,${i}\n`,
    ).join('');
    const input = `${HEADER}x"y,2020-01-01,1\n${body}`;
    const options = { onInvalid: 'skip' as const, maxRejectedExamples: 100 };
    const expected = await aggregateToText(input, options);
    const actual = await runOnFile(input, { ...options, threads: 3 });
    expect(actual.text).toBe(expected.text);
    expect(actual.statistics.rowsRead).toBe(expected.statistics.rowsRead);
    expect(actual.statistics.rowsRejected).toBe(expected.statistics.rowsRejected);
    expect(actual.statistics.rejectedExamples).toEqual(expected.statistics.rejectedExamples);
  });

  it('fails on a stray quote at its line under the fail policy', async () => {
    const input = `${HEADER}${rows(2000)}x"y,2020-01-01,1\n${rows(2000)}"A\nB",2020-01-01,1\n${rows(2000)}`;
    const error = await runOnFile(input, { threads: 2 }).catch((e: unknown) => e);
    expect(error).toMatchObject({ code: 'INVALID_ROW', details: { line: 2002 } });
  });
});

describe('resources of a threaded run', () => {
  it('spills within a shared memory budget and still writes the same bytes', async () => {
    const one = await aggregateToText(plays);
    const many = await runOnFile(plays, { threads: 3, memoryBudget: 0 });
    expect(many.statistics.spilledRuns).toBeGreaterThan(3);
    expect(many.text).toBe(one.text);
    expect(await readdir(tempDir)).toEqual([]);
  });

  it('reports progress over all threads, ending at the whole file', async () => {
    const seen: AggregateProgress[] = [];
    const { statistics } = await runOnFile(plays, {
      threads: 2,
      progressIntervalMs: 0,
      onProgress: (progress) => seen.push(progress),
    });
    expect(seen.length).toBeGreaterThan(1);
    expect(seen.at(-1)).toEqual({ bytesRead: plays.length, rowsRead: 20_000 });
    expect(statistics).toMatchObject({ bytesRead: plays.length, rowsRead: 20_000 });
  });

  it('stops every thread on abort, rejects with ABORTED, and removes its temporary files', async () => {
    const controller = new AbortController();
    const run = runOnFile(
      plays,
      {
        threads: 3,
        memoryBudget: 0,
        signal: controller.signal,
        progressIntervalMs: 0,
        onProgress: (progress) => progress.rowsRead > 1000 && controller.abort(),
      },
      { ...SPLIT, reuseThreads: false },
    );
    await expect(run).rejects.toMatchObject({ code: 'ABORTED' });
    expect(await readdir(tempDir)).toEqual([]);
  });

  it('stops on abort while writing the merged output, and removes its temporary files', async () => {
    const controller = new AbortController();
    const path = join(dir, 'plays.csv');
    await writeFile(path, plays);
    // A sink that takes the first chunk and never drains: the run is then writing its output.
    const stuck = new Writable({ highWaterMark: 1, write: () => controller.abort() });
    const run = aggregateCsvTuned(
      path,
      stuck,
      { threads: 2, tempDir, signal: controller.signal },
      { ...SPLIT, reuseThreads: false },
    );
    await expect(run).rejects.toMatchObject({ code: 'ABORTED' });
    expect(await readdir(tempDir)).toEqual([]);
  });

  it('rejects with ABORTED before starting when the signal has fired', async () => {
    const run = runOnFile(plays, { threads: 2, signal: AbortSignal.abort() });
    await expect(run).rejects.toMatchObject({ code: 'ABORTED' });
  });

  it('turns a crashed thread into an INTERNAL error naming it', async () => {
    const thread = new AggregationThread(7);
    // A request the thread does not know is a bug it cannot recover from: it dies.
    const crash = thread.request({ type: 'unknown' } as never);
    await expect(crash).rejects.toMatchObject({
      code: 'INTERNAL',
      message: expect.stringMatching(/^aggregation thread 7 (crashed|exited)/),
    });
    await expect(
      thread.request({ type: 'count', path: '', start: 0, cuts: [] }),
    ).rejects.toMatchObject({ code: 'INTERNAL' });
    await thread.terminate();
  });
});

describe('inputs that are not split', () => {
  it('reads a stream or an iterable on one thread, whatever threads says', async () => {
    const one = await aggregateToText(plays);
    const { sink, text } = collectingSink();
    await aggregateCsvTuned(Readable.from([plays]), sink, { threads: 4 }, SPLIT);
    expect(text()).toBe(one.text);
  });

  it('splits an untouched read stream of a whole file, in aggregateTotals too', async () => {
    const path = join(dir, 'plays.csv');
    await writeFile(path, plays);
    const one = await aggregateToText(plays);
    const { sink, text } = collectingSink();
    await aggregateCsvTuned(createReadStream(path), sink, { threads: 2, tempDir }, SPLIT);
    expect(text()).toBe(one.text);
    const totals = aggregateTotalsTuned(createReadStream(path), { threads: 2, tempDir }, SPLIT);
    let groups = 0;
    for await (const _ of totals) groups++;
    expect(groups).toBe(one.statistics.groupsWritten);
    expect(await readdir(tempDir)).toEqual([]);
  });

  it('treats an empty file and a header-only file as one thread does', async () => {
    await expect(runOnFile('', { threads: 3 })).rejects.toMatchObject({ code: 'EMPTY_INPUT' });
    const headerOnly = await runOnFile('\uFEFFSong,Date,Number of Plays', { threads: 3 });
    expect(headerOnly.text).toBe('Song,Date,Total Number of Plays for Date\n');
    expect(headerOnly.statistics.rowsRead).toBe(0);
    const missing = await runOnFile(`Song,Day\n${rows(10)}`, { threads: 3 }).catch(
      (e: unknown) => e,
    );
    expect(missing).toMatchObject({ code: 'MISSING_COLUMNS' });
  });

  it('rejects a thread count that is not a positive whole number', async () => {
    await expect(runOnFile(plays, { threads: 0 })).rejects.toMatchObject({
      code: 'VALIDATION_FAILED',
      details: { option: 'threads' },
    });
  });
});
