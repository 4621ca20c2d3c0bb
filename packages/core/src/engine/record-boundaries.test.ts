import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createBoundaryRecorder } from './boundary-recorder.js';
import { findFileBoundaries } from './file-split.js';
import { countQuotesAndLineFeeds } from './quote-line-counts.js';
import { type RecordBoundary, splitTargets } from './record-boundaries.js';

/** The definition, byte by byte: the first line feed at or after `target` with an even number of quotes before it. */
function naiveBoundary(bytes: Uint8Array, target: number): RecordBoundary {
  let quotes = 0;
  let lineFeeds = 0;
  for (let i = 0; i < bytes.length; i++) {
    if (bytes[i] === 0x0a) {
      lineFeeds++;
      if (i >= target && quotes % 2 === 0) return { offset: i + 1, line: lineFeeds + 1 };
    } else if (bytes[i] === 0x22) {
      quotes++;
    }
  }
  return { offset: bytes.length, line: lineFeeds + 1 };
}

/** Bytes rich in what matters here: quotes, line feeds, carriage returns, commas. */
const csvLikeBytes = fc
  .array(fc.constantFrom('"', '\n', '\r\n', ',', 'a', 'bc', '""', 'é', '😀'), { maxLength: 200 })
  .map((parts) => Buffer.from(parts.join('')));

let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'playtally-boundaries-test-'));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe('counting quotes and line feeds', () => {
  it('counts like a byte-by-byte loop at any alignment and length', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 600 }), fc.nat(7), fc.nat(7), (raw, skip, trim) => {
        // Salt the bytes with quotes and line feeds, and view them at an odd offset.
        const bytes = raw.map((b) => (b % 5 === 0 ? 0x22 : b % 5 === 1 ? 0x0a : b));
        const backing = new Uint8Array(bytes.length + 8);
        backing.set(bytes, 3);
        const view = backing.subarray(3, 3 + bytes.length);
        const start = Math.min(skip, view.length);
        const end = Math.max(start, view.length - trim);
        const counts = { quoteParity: 0, lineFeeds: 0 };
        countQuotesAndLineFeeds(view, start, end, counts);
        const span = [...view.subarray(start, end)];
        expect(counts.lineFeeds).toBe(span.filter((b) => b === 0x0a).length);
        expect(counts.quoteParity).toBe(span.filter((b) => b === 0x22).length % 2);
      }),
      { numRuns: 500 },
    );
  });

  it('counts past 255 matches per byte lane', () => {
    const bytes = Buffer.alloc(64 * 1024, '\n"\n\n');
    const counts = { quoteParity: 0, lineFeeds: 0 };
    countQuotesAndLineFeeds(bytes, 0, bytes.length, counts);
    expect(counts).toEqual({ lineFeeds: 48 * 1024, quoteParity: 0 });
  });
});

describe('the boundary recorder', () => {
  it('records, for every multiple of partBytes, the first record start after it, however the input is chunked', () => {
    fc.assert(
      fc.property(
        csvLikeBytes,
        fc.integer({ min: 1, max: 40 }),
        fc.array(fc.integer({ min: 1, max: 17 }), { minLength: 1, maxLength: 4 }),
        (bytes, partBytes, sizes) => {
          const recorder = createBoundaryRecorder({ partBytes });
          for (let at = 0, i = 0; at < bytes.length; i++) {
            const size = sizes[i % sizes.length]!;
            recorder.write(bytes.subarray(at, at + size));
            at += size;
          }
          const { size, boundaries } = recorder.finish();
          expect(size).toBe(bytes.length);
          const expected = splitTargets(bytes.length, partBytes).map((t) =>
            naiveBoundary(bytes, t),
          );
          expect(boundaries).toEqual(expected);
        },
      ),
      { numRuns: 500 },
    );
  });

  it('refuses a part size that is not a positive integer', () => {
    expect(() => createBoundaryRecorder({ partBytes: 0 })).toThrow(/partBytes/);
  });
});

describe('finding the boundaries of a file', () => {
  it('finds what the recorder records, counting in this thread or on several', async () => {
    const samples = fc.sample(fc.tuple(csvLikeBytes, fc.integer({ min: 1, max: 30 })), {
      numRuns: 40,
      seed: 16,
    });
    for (const [i, [bytes, partBytes]] of samples.entries()) {
      const path = join(dir, `sample-${i}.csv`);
      await writeFile(path, bytes);
      const recorder = createBoundaryRecorder({ partBytes });
      recorder.write(bytes);
      const recorded = recorder.finish().boundaries;
      expect(await findFileBoundaries(path, { partBytes })).toEqual(recorded);
      if (i % 8 === 0) {
        expect(await findFileBoundaries(path, { partBytes, threads: 3 })).toEqual(recorded);
      }
    }
  });
});
