import { mkdtemp, readdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { aggregateCsvTuned } from './aggregate-csv.js';
import { DEFAULT_TUNING, type EngineTuning } from './aggregation.js';
import { csvFile } from './csv-arbitraries.js';
import { aggregateToText, collectingSink } from './engine-harness.js';
import { referenceAggregate } from './reference-aggregate.js';
import type { AggregateOptions } from './types.js';

/*
 * Files split across threads against one thread and against the csv-parse reference. The
 * generated files are tiny and split into many ranges (up to 8 threads × 4 ranges each), so
 * quoted line breaks, `""` escapes, CRLF and blank lines land on range boundaries.
 */

let dir: string;
let files = 0;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'playtally-threads-test-'));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

async function fileOf(bytes: Buffer): Promise<string> {
  const path = join(dir, `input-${files++}.csv`);
  await writeFile(path, bytes);
  return path;
}

/** Splits anything of a byte or more; with `slicedMerge`, the threads share the final merge. */
const splitting = (
  rangesPerThread: number,
  minBatchBytes = 1,
  slicedMerge = true,
): EngineTuning => ({
  ...DEFAULT_TUNING,
  minBatchBytes,
  minRangeBytes: 1,
  rangesPerThread,
  reuseThreads: true,
  minSlicedMergeGroups: slicedMerge ? 1 : Number.POSITIVE_INFINITY,
  runIndexEvery: 2,
});

async function inThreads(
  bytes: Buffer,
  options: AggregateOptions,
  tuning: EngineTuning,
): Promise<{ text: string; statistics: Awaited<ReturnType<typeof aggregateCsvTuned>> }> {
  const path = await fileOf(bytes);
  const tempDir = await mkdtemp(join(dir, 'temp-'));
  try {
    const { sink, text } = collectingSink();
    const statistics = await aggregateCsvTuned(path, sink, { tempDir, ...options }, tuning);
    expect(await readdir(tempDir)).toEqual([]);
    return { text: text(), statistics };
  } catch (error) {
    expect(await readdir(tempDir)).toEqual([]);
    throw error;
  } finally {
    await rm(path, { force: true });
    await rm(tempDir, { recursive: true, force: true });
  }
}

const threads = fc.integer({ min: 1, max: 8 });
const rangesPerThread = fc.integer({ min: 1, max: 4 });
const batch = fc.constantFrom(1, 64 * 1024);

describe('aggregating a file on several threads', () => {
  it('writes what one thread and the reference write, for files split at any record', async () => {
    await fc.assert(
      fc.asyncProperty(
        csvFile(false, 60),
        threads,
        rangesPerThread,
        batch,
        fc.constantFrom(undefined, 0),
        fc.boolean(),
        async (file, threadCount, perThread, minBatch, memoryBudget, slicedMerge) => {
          const budget = memoryBudget === undefined ? {} : { memoryBudget };
          const one = await aggregateToText(file);
          const many = await inThreads(
            file,
            { threads: threadCount, ...budget },
            splitting(perThread, minBatch, slicedMerge),
          );
          expect(many.text).toBe(one.text);
          expect(many.text).toBe(referenceAggregate(file).csv);
          expect(many.statistics.rowsRead).toBe(one.statistics.rowsRead);
          expect(many.statistics.bytesRead).toBe(file.length);
          expect(many.statistics.groupsWritten).toBe(one.statistics.groupsWritten);
        },
      ),
      { numRuns: 200 },
    );
  });

  it('rejects the same rows under the skip policy: counts add up, examples in line order', async () => {
    await fc.assert(
      fc.asyncProperty(
        csvFile(true, 60),
        threads,
        rangesPerThread,
        fc.constantFrom(2, 1000),
        async (file, threadCount, perThread, maxRejectedExamples) => {
          const options = { onInvalid: 'skip' as const, maxRejectedExamples };
          const one = await aggregateToText(file, options);
          const many = await inThreads(
            file,
            { ...options, threads: threadCount },
            splitting(perThread),
          );
          expect(many.text).toBe(one.text);
          expect(many.statistics.rowsRead).toBe(one.statistics.rowsRead);
          expect(many.statistics.rowsRejected).toBe(one.statistics.rowsRejected);
          expect(many.statistics.rejectedExamples).toEqual(one.statistics.rejectedExamples);
        },
      ),
      { numRuns: 150 },
    );
  });

  it('fails on the first bad row of the file, with its line, under the fail policy', async () => {
    await fc.assert(
      fc.asyncProperty(csvFile(true, 60), threads, rangesPerThread, async (file, n, perThread) => {
        const outcome = (run: Promise<{ text: string }>) =>
          run.then(
            (result) => result.text,
            (error: Error) => error.message,
          );
        const one = await outcome(aggregateToText(file));
        const many = await outcome(inThreads(file, { threads: n }, splitting(perThread)));
        expect(many).toBe(one);
      }),
      { numRuns: 150 },
    );
  });
});
