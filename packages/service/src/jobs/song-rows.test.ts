import { Readable } from 'node:stream';
import { text } from 'node:stream/consumers';
import { describe, expect, it } from 'vitest';
import { songRows } from './song-rows.js';

const HEADER = 'Song,Date,Total Number of Plays for Date\n';
const RESULT = [
  HEADER,
  '"A, B",2020-01-01,3\n',
  '"Line\nbreak",2020-01-02,4\n',
  'Umbrella,2020-01-01,7\n',
  'Umbrella,2020-01-02,12\n',
  '"Umbrella ""live""",2020-01-01,1\n',
  'Zebra,2020-01-01,2\n',
  '世界,2020-01-03,5\n',
].join('');

/** The result in pieces of `size` bytes, so records and characters straddle chunks. */
function chunked(csv: string, size: number): Readable & { reads: number } {
  const bytes = Buffer.from(csv, 'utf8');
  const state = { reads: 0 };
  const stream = Readable.from(
    (function* () {
      for (let at = 0; at < bytes.length; at += size) {
        state.reads += 1;
        yield bytes.subarray(at, at + size);
      }
    })(),
  );
  return Object.assign(stream, {
    get reads() {
      return state.reads;
    },
  });
}

describe('songRows', () => {
  it.each([1, 3, 7, 64, 4096])(
    'keeps the header and one song’s rows (chunks of %i bytes)',
    async (size) => {
      expect(await text(songRows(chunked(RESULT, size), 'Umbrella'))).toBe(
        `${HEADER}Umbrella,2020-01-01,7\nUmbrella,2020-01-02,12\n`,
      );
      expect(await text(songRows(chunked(RESULT, size), 'A, B'))).toBe(
        `${HEADER}"A, B",2020-01-01,3\n`,
      );
      expect(await text(songRows(chunked(RESULT, size), 'Line\nbreak'))).toBe(
        `${HEADER}"Line\nbreak",2020-01-02,4\n`,
      );
      expect(await text(songRows(chunked(RESULT, size), 'Umbrella "live"'))).toBe(
        `${HEADER}"Umbrella ""live""",2020-01-01,1\n`,
      );
      expect(await text(songRows(chunked(RESULT, size), ' 世界 '))).toBe(
        `${HEADER}世界,2020-01-03,5\n`,
      );
    },
  );

  it('answers the header alone for a song the result does not hold', async () => {
    expect(await text(songRows(chunked(RESULT, 5), 'Nothing'))).toBe(HEADER);
    expect(await text(songRows(chunked(HEADER, 5), 'Umbrella'))).toBe(HEADER);
  });

  it('stops reading at the first song after the one searched (a bounded scan)', async () => {
    const tail = 'Zz,2020-01-01,1\n'.repeat(1000);
    const source = chunked(`${RESULT}${tail}`, 16);
    expect(await text(songRows(source, 'A, B'))).toBe(`${HEADER}"A, B",2020-01-01,3\n`);
    const total = Math.ceil(Buffer.byteLength(`${RESULT}${tail}`) / 16);
    expect(source.reads).toBeLessThan(10);
    expect(source.reads).toBeLessThan(total);
    expect(source.destroyed).toBe(true);
  });
});
