import { mkdtemp, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable, Writable } from 'node:stream';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { generatePlays } from '../cli/play-generator.js';
import { PlaytallyError } from '../errors.js';
import { aggregateCsvTuned } from './aggregate-csv.js';
import { aggregateTotalsTuned } from './aggregate-totals.js';
import { DEFAULT_TUNING } from './aggregation.js';
import { aggregateToText, chunked, collectingSink, TINY_TUNING } from './engine-harness.js';
import { referenceAggregate } from './reference-aggregate.js';

/** About 9,000 distinct (song, day) groups with quoted, accented and astral song names. */
const plays = Buffer.concat([...generatePlays({ rows: 20_000, songs: 300, days: 40, seed: 7 })]);

let tempDir: string;
beforeEach(async () => {
  tempDir = await mkdtemp(join(tmpdir(), 'playtally-spill-test-'));
});
afterEach(async () => {
  await rm(tempDir, { recursive: true, force: true });
});

describe('spilling sorted runs when the table outgrows the memory budget', () => {
  it('gives byte-identical output with and without spills, and leaves no temporary file', async () => {
    const inMemory = await aggregateToText(plays);
    expect(inMemory.statistics.spilledRuns).toBe(0);
    expect(inMemory.text).toBe(referenceAggregate(plays).csv);

    const spilled = await aggregateToText(plays, { memoryBudget: 0, tempDir });
    expect(spilled.statistics.spilledRuns).toBeGreaterThan(5);
    expect(spilled.text).toBe(inMemory.text);
    expect(spilled.statistics.groupsWritten).toBe(inMemory.statistics.groupsWritten);
    expect(await readdir(tempDir)).toEqual([]);
  });

  it('merges many runs in several passes when they exceed the fan-in', async () => {
    const { text, statistics } = await aggregateToText(
      plays,
      { memoryBudget: 0, tempDir },
      { ...DEFAULT_TUNING, maxFanIn: 2 },
    );
    expect(statistics.spilledRuns).toBeGreaterThan(5);
    expect(text).toBe(referenceAggregate(plays).csv);
    expect(await readdir(tempDir)).toEqual([]);
  });

  it('keeps totals exact past 2^53 - 1 when the parts sit in different runs', async () => {
    const max = BigInt(Number.MAX_SAFE_INTEGER);
    const filler = Array.from({ length: 3000 }, (_, i) => `Filler ${i},2020-01-01,1\n`).join('');
    const input = `Song,Date,Number of Plays\nA,2020-01-01,${max}\n${filler}A,2020-01-01,${max}\n${filler}A,2020-01-01,7\n`;
    const { text, statistics } = await aggregateToText(input, { memoryBudget: 0, tempDir });
    expect(statistics.spilledRuns).toBeGreaterThan(1);
    expect(text.split('\n')[1]).toBe(`A,2020-01-01,${2n * max + 7n}`);
  });

  it('removes its temporary files when a bad row fails the run after spills', async () => {
    const input = Buffer.concat([plays, Buffer.from('Bad,2020-01-01,x\n')]);
    const error = await aggregateToText(input, { memoryBudget: 0, tempDir }).catch(
      (e: unknown) => e,
    );
    expect(error).toMatchObject({ code: 'INVALID_ROW' });
    expect(await readdir(tempDir)).toEqual([]);
  });
});

describe('aborting', () => {
  it('rejects with ABORTED when the signal has already fired', async () => {
    const error = await aggregateToText(plays, { signal: AbortSignal.abort() }).catch(
      (e: unknown) => e,
    );
    expect(error).toBeInstanceOf(PlaytallyError);
    expect(error).toMatchObject({ code: 'ABORTED', message: 'the aggregation was aborted' });
  });

  it('stops promptly while waiting on a stalled source, releases it, and removes its spill files', async () => {
    const controller = new AbortController();
    const pending = chunked(plays, [4096]);
    // Serves the file, then stalls forever, like a dead upload.
    const stalling = new Readable({
      read: () => void (pending.length > 0 && stalling.push(pending.shift())),
    });
    const run = aggregateCsvTuned(
      stalling,
      collectingSink().sink,
      {
        signal: controller.signal,
        memoryBudget: 0,
        tempDir,
        progressIntervalMs: 0,
        onProgress: (progress) => progress.bytesRead === plays.length && controller.abort(),
      },
      TINY_TUNING,
    );
    await expect(run).rejects.toMatchObject({ code: 'ABORTED' });
    expect(stalling.destroyed).toBe(true);
    expect(await readdir(tempDir)).toEqual([]);
  });

  it('stops while writing output to a sink that never drains', async () => {
    const controller = new AbortController();
    const stuck = new Writable({ highWaterMark: 1, write: () => controller.abort() });
    const run = aggregateCsvTuned([plays], stuck, { signal: controller.signal }, DEFAULT_TUNING);
    await expect(run).rejects.toMatchObject({ code: 'ABORTED' });
  });
});

describe('aggregateTotals', () => {
  it('yields the same groups as the CSV output, with bigint totals and statistics afterwards', async () => {
    const totals = aggregateTotalsTuned([plays], { memoryBudget: 0, tempDir }, DEFAULT_TUNING);
    expect(totals.statistics).toBeUndefined();
    const rows: string[] = [];
    for await (const { song, date, total } of totals) {
      expect(typeof total).toBe('bigint');
      rows.push(
        `${/[",\r\n]/.test(song) ? `"${song.replaceAll('"', '""')}"` : song},${date},${total}`,
      );
    }
    const expected = referenceAggregate(plays).csv.split('\n').slice(1, -1);
    expect(rows).toEqual(expected);
    expect(totals.statistics).toMatchObject({ rowsRead: 20_000, groupsWritten: expected.length });
    expect(await readdir(tempDir)).toEqual([]);
  });

  it('removes its temporary files when the loop breaks early', async () => {
    const totals = aggregateTotalsTuned([plays], { memoryBudget: 0, tempDir }, DEFAULT_TUNING);
    for await (const total of totals) {
      expect(total.song).toBeTruthy();
      break;
    }
    expect(totals.statistics).toBeUndefined();
    expect(await readdir(tempDir)).toEqual([]);
  });

  it('can be iterated only once', async () => {
    const totals = aggregateTotalsTuned(
      [Buffer.from('Song,Date,Number of Plays\n')],
      {},
      DEFAULT_TUNING,
    );
    for await (const _ of totals) expect.unreachable();
    expect(() => totals[Symbol.asyncIterator]()).toThrow(/only once/);
  });
});
