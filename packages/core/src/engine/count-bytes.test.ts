import { readFile } from 'node:fs/promises';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { compileWat } from '../../scripts/compile-wat.mjs';
import { COUNT_BYTES_WASM } from './count-bytes-module.js';
import { COUNT_WINDOW_BYTES, countQuotesAndLineFeeds } from './quote-line-counts.js';

function reference(bytes: Uint8Array, start: number, end: number) {
  let lineFeeds = 0;
  let quotes = 0;
  for (let i = start; i < end; i++) {
    if (bytes[i] === 0x0a) lineFeeds++;
    else if (bytes[i] === 0x22) quotes++;
  }
  return { lineFeeds, quoteParity: quotes % 2 };
}

describe('the SIMD byte counter', () => {
  it('is the compiled form of wasm/count-bytes.wat (run scripts/build-wasm.mjs after editing it)', async () => {
    const source = await readFile(new URL('./wasm/count-bytes.wat', import.meta.url), 'utf8');
    const compiled = await compileWat(source);
    expect(Buffer.from(compiled).toString('base64')).toBe(COUNT_BYTES_WASM);
  });

  it('counts like a byte-by-byte loop over spans of any length, alignment and content', () => {
    fc.assert(
      fc.property(
        fc.uint8Array({ minLength: 0, maxLength: 9000 }),
        fc.nat(31),
        fc.nat(31),
        fc.integer({ min: 1, max: 5 }),
        (raw, skip, trim, density) => {
          // More or fewer quotes and line feeds, so that lanes fill up or stay sparse.
          const bytes = raw.map((b) =>
            b % (2 * density) === 0 ? 0x22 : b % (2 * density) === 1 ? 0x0a : b,
          );
          const start = Math.min(skip, bytes.length);
          const end = Math.max(start, bytes.length - trim);
          const counts = { quoteParity: 0, lineFeeds: 0 };
          countQuotesAndLineFeeds(bytes, start, end, counts);
          expect(counts).toEqual(reference(bytes, start, end));
        },
      ),
      { numRuns: 400 },
    );
  });

  it('counts spans longer than its window, adding to counts already there', () => {
    const length = 2 * COUNT_WINDOW_BYTES + 12_345;
    const bytes = new Uint8Array(length);
    for (let i = 0; i < length; i++) bytes[i] = i % 7 === 0 ? 0x0a : i % 11 === 0 ? 0x22 : 0x61;
    const counts = { quoteParity: 1, lineFeeds: 5 };
    countQuotesAndLineFeeds(bytes, 3, length - 1, counts);
    const expected = reference(bytes, 3, length - 1);
    expect(counts).toEqual({
      lineFeeds: expected.lineFeeds + 5,
      quoteParity: (expected.quoteParity + 1) % 2,
    });
  });

  it('counts every byte a line feed or a quote without a lane overflowing', () => {
    const bytes = Buffer.alloc(300_000, '\n');
    bytes.fill('"', 150_000);
    const counts = { quoteParity: 0, lineFeeds: 0 };
    countQuotesAndLineFeeds(bytes, 0, bytes.length, counts);
    expect(counts).toEqual({ lineFeeds: 150_000, quoteParity: 0 });
  });
});
