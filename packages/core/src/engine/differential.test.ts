import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { DEFAULT_TUNING } from './aggregation.js';
import { csvFile } from './csv-arbitraries.js';
import { aggregateToText, chunked, TINY_TUNING } from './engine-harness.js';
import { referenceAggregate } from './reference-aggregate.js';

/*
 * The fast engine against the csv-parse reference on generated CSV: quoted fields with commas,
 * quotes and line breaks, CRLF, a BOM, Unicode up to astral characters and odd whitespace,
 * shuffled header order with extra columns, blank lines, huge counts, arbitrary chunking and
 * forced spills. Any difference is a bug.
 */

const chunkSizes = fc.array(fc.integer({ min: 1, max: 64 }), { minLength: 1, maxLength: 5 });
const tuning = fc.constantFrom(DEFAULT_TUNING, TINY_TUNING);
const budget = fc.constantFrom(undefined, 0);

describe('the engine against the csv-parse reference', () => {
  it('writes the same output for every valid file, however it is chunked and spilled', async () => {
    await fc.assert(
      fc.asyncProperty(
        csvFile(false),
        chunkSizes,
        tuning,
        budget,
        async (file, sizes, tune, memoryBudget) => {
          const expected = referenceAggregate(file);
          const options = memoryBudget === undefined ? {} : { memoryBudget };
          const { text, statistics } = await aggregateToText(chunked(file, sizes), options, tune);
          expect(text).toBe(expected.csv);
          expect(statistics.rowsRead).toBe(expected.rowsRead);
        },
      ),
      { numRuns: 300 },
    );
  });

  it('rejects the same rows, with the same lines and reasons, under the skip policy', async () => {
    await fc.assert(
      fc.asyncProperty(
        csvFile(true),
        chunkSizes,
        tuning,
        budget,
        async (file, sizes, tune, memoryBudget) => {
          const expected = referenceAggregate(file, 'skip');
          const options = {
            onInvalid: 'skip' as const,
            maxRejectedExamples: 1000,
            ...(memoryBudget === 0 ? { memoryBudget } : {}),
          };
          const { text, statistics } = await aggregateToText(chunked(file, sizes), options, tune);
          expect(text).toBe(expected.csv);
          expect(statistics.rowsRead).toBe(expected.rowsRead);
          expect(statistics.rowsRejected).toBe(expected.rejected.length);
          expect(statistics.rejectedExamples).toEqual(expected.rejected);
        },
      ),
      { numRuns: 300 },
    );
  });

  it('fails on the same first bad row under the fail policy', async () => {
    await fc.assert(
      fc.asyncProperty(csvFile(true), chunkSizes, async (file, sizes) => {
        const expected = (() => {
          try {
            return referenceAggregate(file, 'fail').csv;
          } catch (error) {
            return (error as Error).message;
          }
        })();
        const actual = await aggregateToText(chunked(file, sizes), {}, TINY_TUNING).then(
          (result) => result.text,
          (error: Error) => error.message,
        );
        expect(actual).toBe(expected);
      }),
      { numRuns: 200 },
    );
  });
});
