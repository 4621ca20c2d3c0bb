import { Readable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { aggregateCsv } from './aggregate-csv.js';
import { CANONICAL_INPUT, CANONICAL_OUTPUT } from './canonical-example.js';
import { aggregateToText, collectingSink, TINY_TUNING } from './engine-harness.js';

describe('aggregateCsv', () => {
  it('turns the canonical example into the canonical output, byte for byte', async () => {
    const { text, statistics } = await aggregateToText(CANONICAL_INPUT);
    expect(text).toBe(CANONICAL_OUTPUT);
    expect(statistics).toMatchObject({
      bytesRead: Buffer.byteLength(CANONICAL_INPUT),
      rowsRead: 7,
      rowsRejected: 0,
      rejectedExamples: [],
      groupsWritten: 4,
      spilledRuns: 0,
    });
  });

  it('reads a Node readable and ends the Node writable it writes to', async () => {
    const { sink, text, ended } = collectingSink();
    await aggregateCsv(Readable.from([Buffer.from(CANONICAL_INPUT)]), sink);
    expect(text()).toBe(CANONICAL_OUTPUT);
    expect(ended()).toBe(true);
  });

  it('reads a web ReadableStream and closes the web WritableStream it writes to', async () => {
    const chunks: Uint8Array[] = [];
    let closed = false;
    const output = new WritableStream<Uint8Array>({
      write: (chunk) => {
        chunks.push(chunk);
      },
      close: () => {
        closed = true;
      },
    });
    const input = new Blob([CANONICAL_INPUT]).stream();
    await aggregateCsv(input, output);
    expect(Buffer.concat(chunks).toString()).toBe(CANONICAL_OUTPUT);
    expect(closed).toBe(true);
  });

  it('gives the same output whatever the chunking, down to one byte per chunk', async () => {
    const bytes = Buffer.from(CANONICAL_INPUT);
    const oneByteChunks = [...bytes].map((byte) => Buffer.from([byte]));
    const { text } = await aggregateToText(oneByteChunks, {}, TINY_TUNING);
    expect(text).toBe(CANONICAL_OUTPUT);
  });

  it('matches the header after trimming, in any case and order, ignoring other columns', async () => {
    const input =
      ' number of PLAYS ,Artist,  date,SONG\n3,Rihanna,2020-01-01,Umbrella\n4,Rihanna,2020-01-01,Umbrella\n';
    const { text } = await aggregateToText(input);
    expect(text).toBe('Song,Date,Total Number of Plays for Date\nUmbrella,2020-01-01,7\n');
  });

  it('tolerates a BOM, CRLF endings, blank lines and a last record without a newline', async () => {
    const input =
      '\uFEFFSong,Date,Number of Plays\r\nA,2020-01-01,1\r\n\r\n\nA,2020-01-01,2\r\nB,2020-01-01,3';
    const { text, statistics } = await aggregateToText(input);
    expect(text).toBe('Song,Date,Total Number of Plays for Date\nA,2020-01-01,3\nB,2020-01-01,3\n');
    expect(statistics.rowsRead).toBe(3);
  });

  it('reads quoted fields with escaped quotes, commas and line breaks, and quotes them again on output', async () => {
    const input = [
      'Song,Date,Number of Plays',
      '"Hello, ""World""",2020-01-01,1',
      '"Two',
      'Lines",2020-01-01,2',
      '"Plain",2020-01-01,3',
      'Plain,2020-01-01,4',
      '',
    ].join('\r\n');
    const { text } = await aggregateToText(input);
    expect(text).toBe(
      'Song,Date,Total Number of Plays for Date\n' +
        '"Hello, ""World""",2020-01-01,1\n' +
        'Plain,2020-01-01,7\n' +
        '"Two\r\nLines",2020-01-01,2\n',
    );
  });

  it('trims whitespace around songs, dates and plays, including Unicode spaces', async () => {
    const input =
      'Song,Date,Number of Plays\n  Umbrella\t, 2020-01-01 , 5 \n\u00a0Umbrella\u3000,2020-01-01,\u20025\n';
    const { text } = await aggregateToText(input);
    expect(text).toBe('Song,Date,Total Number of Plays for Date\nUmbrella,2020-01-01,10\n');
  });

  it('allows spaces around a quoted field', async () => {
    const { text } = await aggregateToText('Song,Date,Number of Plays\n  "a, b"  ,2020-01-01,1\n');
    expect(text).toBe('Song,Date,Total Number of Plays for Date\n"a, b",2020-01-01,1\n');
  });

  it('sorts songs in Unicode code point order, not JavaScript string order', async () => {
    // U+FF5E (fullwidth tilde) sorts before U+1F3B5 (musical note) by code point, but after it
    // in UTF-16 order, where the note is the surrogate pair D83C DFB5.
    const input =
      'Song,Date,Number of Plays\n\u{1F3B5},2020-01-01,1\n\uFF5E,2020-01-01,1\nZ,2020-01-01,1\né,2020-01-01,1\n';
    const { text } = await aggregateToText(input);
    expect(text.split('\n').map((row) => row.split(',')[0])).toEqual([
      'Song',
      'Z',
      'é',
      '\uFF5E',
      '\u{1F3B5}',
      '',
    ]);
  });

  it('sorts dates ascending within a song, across years', async () => {
    const input =
      'Song,Date,Number of Plays\nA,2021-01-01,1\nA,1999-12-31,1\nA,2020-02-29,1\nA,0000-01-01,1\nA,9999-12-31,1\n';
    const { text } = await aggregateToText(input);
    expect(text).toBe(
      'Song,Date,Total Number of Plays for Date\n' +
        'A,0000-01-01,1\nA,1999-12-31,1\nA,2020-02-29,1\nA,2021-01-01,1\nA,9999-12-31,1\n',
    );
  });

  it('sorts thousands of days of one song, given in random order', async () => {
    const days = Array.from({ length: 5000 }, (_, i) =>
      new Date(Date.UTC(2000, 0, 1 + i)).toISOString().slice(0, 10),
    );
    const shuffled = days
      .map((day, i) => ({ day, order: (i * 7919) % 5000 }))
      .sort((a, b) => a.order - b.order);
    const input = `Song,Date,Number of Plays\n${shuffled.map(({ day }) => `A,${day},1\nB,${day},2\n`).join('')}`;
    const { text } = await aggregateToText(input);
    const expected = ['A', 'B'].flatMap((song, s) => days.map((day) => `${song},${day},${s + 1}`));
    expect(text).toBe(`Song,Date,Total Number of Plays for Date\n${expected.join('\n')}\n`);
  });

  it('keeps totals exact past 2^53 - 1, from many small values and from huge single values', async () => {
    const max = BigInt(Number.MAX_SAFE_INTEGER);
    const input = [
      'Song,Date,Number of Plays',
      `A,2020-01-01,${max}`,
      'A,2020-01-01,1',
      'A,2020-01-01,1',
      `A,2020-01-01,${max}`,
      'B,2020-01-01,123456789012345678901234567890',
      'B,2020-01-01,0000000000000000000000000001',
      `C,2020-01-01,${max - 1n}`,
      'C,2020-01-01,1',
      '',
    ].join('\n');
    const { text } = await aggregateToText(input);
    expect(text).toBe(
      'Song,Date,Total Number of Plays for Date\n' +
        `A,2020-01-01,${2n * max + 2n}\n` +
        'B,2020-01-01,123456789012345678901234567891\n' +
        `C,2020-01-01,${max}\n`,
    );
  });

  it('treats header-only input as a success with no groups: just the output header', async () => {
    const { text, statistics } = await aggregateToText('Song,Date,Number of Plays\n');
    expect(text).toBe('Song,Date,Total Number of Plays for Date\n');
    expect(statistics).toMatchObject({ rowsRead: 0, groupsWritten: 0 });
  });

  it('reports progress in bytes and rows, and once at the end', async () => {
    const rows = Array.from({ length: 20_000 }, (_, i) => `Song ${i % 50},2020-01-01,1`);
    const input = `Song,Date,Number of Plays\n${rows.join('\n')}\n`;
    const progress: { bytesRead: number; rowsRead: number }[] = [];
    await aggregateToText(
      input,
      { onProgress: (p) => progress.push(p), progressIntervalMs: 0 },
      TINY_TUNING,
    );
    expect(progress.at(-1)).toEqual({ bytesRead: Buffer.byteLength(input), rowsRead: 20_000 });
    expect(progress.length).toBeGreaterThanOrEqual(1);
  });

  it('reports progress while reading, not only at the end', async () => {
    const rows = Array.from({ length: 5_000 }, (_, i) => `Song ${i % 50},2020-01-01,1\n`);
    const chunks = [
      Buffer.from('Song,Date,Number of Plays\n'),
      ...rows.map((row) => Buffer.from(row)),
    ];
    const progress: number[] = [];
    await aggregateToText(
      chunks,
      { onProgress: (p) => progress.push(p.rowsRead), progressIntervalMs: 0 },
      TINY_TUNING,
    );
    expect(progress.length).toBeGreaterThan(100);
    expect(progress).toEqual([...progress].sort((a, b) => a - b));
  });

  it('rejects options that make no sense', async () => {
    await expect(
      aggregateToText('Song,Date,Number of Plays\n', { memoryBudget: -1 }),
    ).rejects.toMatchObject({
      code: 'VALIDATION_FAILED',
    });
    await expect(
      aggregateToText('Song,Date,Number of Plays\n', { onInvalid: 'ignore' as 'skip' }),
    ).rejects.toMatchObject({ code: 'VALIDATION_FAILED' });
  });
});
