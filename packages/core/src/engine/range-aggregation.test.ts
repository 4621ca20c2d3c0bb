import { createReadStream } from 'node:fs';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createBoundaryRecorder } from './boundary-recorder.js';
import { readCsvHeader } from './csv-header.js';
import { aggregateToText, collectingSink } from './engine-harness.js';
import { combineRangeStatistics, mergePartialRuns } from './partial-runs.js';
import {
  aggregateFileRange,
  aggregateSourceRange,
  type RangeStatistics,
} from './range-aggregation.js';
import { csvRanges } from './record-boundaries.js';
import type { AggregateOptions } from './types.js';

/*
 * The building blocks a deployment splits one file across machines with: record the split
 * points while the file streams in, aggregate each range into a partial run, merge the runs.
 * Every split point of a file holding every tricky thing at once is tried.
 */

const tricky = Buffer.from(
  [
    '\uFEFF\r\n',
    'Extra, "Number of Plays" ,Song,date\r\n',
    'x,1,"Multi\nLine ""Song""",2020-01-01\r\n',
    '"a,b",2,Plain,2020-01-02\n',
    '\n',
    'y,3,"Multi\nLine ""Song""",2020-01-01\r\n',
    '"q\r\n""",40,"😀 ""quoted""\r\nand more",2021-06-15\n',
    '\r\n',
    'z,5,Plain,2020-01-02\r\n',
    'w,,Plain,2020-01-02\n',
    'v,6,"",2020-01-02\n',
    'u,7,Plain,2020-02-30\n',
    'last,8,"Multi\nLine ""Song""",2020-01-01',
  ].join(''),
);

let dir: string;
let path: string;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'playtally-ranges-test-'));
  path = join(dir, 'tricky.csv');
  await writeFile(path, tricky);
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

/** Splits the file every `partBytes`, aggregates each range, and merges: what the service does. */
async function splitAndMerge(partBytes: number, options: AggregateOptions, viaSource = false) {
  const recorder = createBoundaryRecorder({ partBytes });
  recorder.write(tricky);
  const { boundaries, size } = recorder.finish();
  const header = await readCsvHeader(createReadStream(path));
  const ranges = csvRanges(boundaries, header, size);
  const parts: RangeStatistics[] = [];
  const runPaths: string[] = [];
  for (const [i, range] of ranges.entries()) {
    const runPath = join(dir, `part-${partBytes}-${i}.run`);
    // A ranged read of a stored blob gives only the range's bytes, in small chunks.
    const source = [tricky.subarray(range.start, range.end)];
    const endsAtSplit = range.end < size;
    parts.push(
      viaSource
        ? await aggregateSourceRange(source, range, runPath, {
            ...options,
            header,
            endsAtSplit,
            tempDir: dir,
          })
        : await aggregateFileRange(path, range, runPath, { ...options, header, tempDir: dir }),
    );
    runPaths.push(runPath);
  }
  const { sink, text } = collectingSink();
  const groups = await mergePartialRuns(runPaths, sink);
  await Promise.all(runPaths.map((run) => rm(run)));
  const statistics = combineRangeStatistics(
    parts,
    header.dataStart,
    options.maxRejectedExamples ?? 5,
  );
  return { ranges, text: text(), groups, statistics, resumed: parts.some((p) => p.resumeAt) };
}

describe('splitting one file into ranges and merging their partial runs', () => {
  it('gives what one pass gives, at every split size, rejected rows included (skip policy)', async () => {
    const options = { onInvalid: 'skip' as const, maxRejectedExamples: 100 };
    const one = await aggregateToText(tricky, options);
    expect(one.statistics.rowsRejected).toBe(3);
    let mostRanges = 0;
    for (let partBytes = 1; partBytes <= tricky.length; partBytes++) {
      const split = await splitAndMerge(partBytes, options);
      mostRanges = Math.max(mostRanges, split.ranges.length);
      expect(split.resumed).toBe(false);
      expect(split.text).toBe(one.text);
      expect(split.groups).toBe(one.statistics.groupsWritten);
      expect(split.statistics.rowsRead).toBe(one.statistics.rowsRead);
      expect(split.statistics.rowsRejected).toBe(one.statistics.rowsRejected);
      expect(split.statistics.rejectedExamples).toEqual(one.statistics.rejectedExamples);
    }
    // At one byte per part, every record (and blank line) is a range of its own.
    expect(mostRanges).toBeGreaterThanOrEqual(one.statistics.rowsRead);
  });

  it('fails on the first bad row, with its line in the whole file, at every split size', async () => {
    const expected = await aggregateToText(tricky).catch((error: Error) => error.message);
    expect(expected).toMatch(/^line 14: Number of Plays/);
    for (let partBytes = 1; partBytes <= tricky.length; partBytes += 3) {
      const actual = await splitAndMerge(partBytes, {}).catch((error: Error) => error.message);
      expect(actual).toBe(expected);
    }
  });

  it('gives the same from byte sources holding only each range (ranged blob reads)', async () => {
    const options = { onInvalid: 'skip' as const, maxRejectedExamples: 100 };
    const one = await aggregateToText(tricky, options);
    for (let partBytes = 1; partBytes <= tricky.length; partBytes += 2) {
      const split = await splitAndMerge(partBytes, options, true);
      expect(split.text).toBe(one.text);
      expect(split.statistics.rowsRejected).toBe(one.statistics.rowsRejected);
      expect(split.statistics.rejectedExamples).toEqual(one.statistics.rejectedExamples);
    }
    const expected = await aggregateToText(tricky).catch((error: Error) => error.message);
    for (let partBytes = 1; partBytes <= tricky.length; partBytes += 5) {
      const actual = await splitAndMerge(partBytes, {}, true).catch((e: Error) => e.message);
      expect(actual).toBe(expected);
    }
  });

  it('refuses a range that starts inside the header', async () => {
    const header = await readCsvHeader(createReadStream(path));
    const range = { start: 0, end: 10, line: 1 };
    const run = join(dir, 'refused.run');
    expect(() => aggregateSourceRange([tricky], range, run, { header, endsAtSplit: true })).toThrow(
      /must lie after the header/,
    );
  });

  it('reads the header wherever its columns are, past a byte order mark and blank lines', async () => {
    const header = await readCsvHeader(createReadStream(path));
    expect(header).toEqual({
      columns: { count: 4, song: 2, date: 3, plays: 1 },
      dataStart: Buffer.from('\uFEFF\r\nExtra, "Number of Plays" ,Song,date\r\n').length,
      dataLine: 3,
    });
  });

  it('reports a header without the columns as a whole run would', async () => {
    const error = await readCsvHeader([Buffer.from('Song,Day\n')]).catch((e: unknown) => e);
    expect(error).toMatchObject({ code: 'MISSING_COLUMNS' });
    await expect(readCsvHeader([])).rejects.toMatchObject({ code: 'EMPTY_INPUT' });
  });
});
