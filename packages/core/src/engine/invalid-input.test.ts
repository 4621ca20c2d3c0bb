import { describe, expect, it } from 'vitest';
import { PlaytallyError } from '../errors.js';
import { aggregateCsvTuned } from './aggregate-csv.js';
import { aggregateToText, chunked, collectingSink, TINY_TUNING } from './engine-harness.js';

const HEADER = 'Song,Date,Number of Plays\n';

/** The error `aggregateCsv` rejects with on `input`. */
async function failure(
  input: string | Buffer | readonly Buffer[],
  options = {},
): Promise<PlaytallyError> {
  const error = await aggregateToText(input, options, TINY_TUNING).then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(PlaytallyError);
  return error as PlaytallyError;
}

function goodRows(count: number): string {
  return Array.from({ length: count }, (_, i) => `Song ${i},2020-01-01,${i}\n`).join('');
}

describe('bad input under the default fail policy', () => {
  it('names the line and the reason for a bad play count, exactly as the design shows', async () => {
    const error = await failure(`${HEADER}${goodRows(15)}Umbrella,2020-01-01,12a\n${goodRows(3)}`);
    expect(error.code).toBe('INVALID_ROW');
    expect(error.message).toBe(
      'line 17: Number of Plays must be a non-negative integer, got "12a"',
    );
    expect(error.details).toEqual({
      line: 17,
      reason: 'Number of Plays must be a non-negative integer, got "12a"',
    });
  });

  it.each([
    ['-5', 'Number of Plays must be a non-negative integer, got "-5"'],
    ['1.5', 'Number of Plays must be a non-negative integer, got "1.5"'],
    ['1e3', 'Number of Plays must be a non-negative integer, got "1e3"'],
    ['', 'Number of Plays must be a non-negative integer, got ""'],
    [
      '12345678901234567890x',
      'Number of Plays must be a non-negative integer, got "12345678901234567890x"',
    ],
  ])('rejects the play count %j', async (plays, reason) => {
    const error = await failure(`${HEADER}A,2020-01-01,1\nA,2020-01-01,${plays}\n`);
    expect(error.message).toBe(`line 3: ${reason}`);
  });

  it.each([
    ['2020-02-30', 'Date must be a real calendar date, got "2020-02-30"'],
    ['2019-02-29', 'Date must be a real calendar date, got "2019-02-29"'],
    ['2020-13-01', 'Date must be a real calendar date, got "2020-13-01"'],
    ['2020-00-10', 'Date must be a real calendar date, got "2020-00-10"'],
    ['2020-1-01', 'Date must be a date in YYYY-MM-DD form, got "2020-1-01"'],
    ['01/02/2020', 'Date must be a date in YYYY-MM-DD form, got "01/02/2020"'],
    ['2020-01-0x', 'Date must be a date in YYYY-MM-DD form, got "2020-01-0x"'],
    ['', 'Date must be a date in YYYY-MM-DD form, got ""'],
  ])('rejects the date %j', async (date, reason) => {
    const error = await failure(`${HEADER}A,${date},1\n`);
    expect(error.message).toBe(`line 2: ${reason}`);
  });

  it('rejects an empty or blank song', async () => {
    expect((await failure(`${HEADER},2020-01-01,1\n`)).message).toBe(
      'line 2: Song must not be empty',
    );
    expect((await failure(`${HEADER}"  ",2020-01-01,1\n`)).message).toBe(
      'line 2: Song must not be empty',
    );
  });

  it('rejects a record whose field count differs from the header', async () => {
    const error = await failure(`${HEADER}A,2020-01-01,1\nHello, World,2020-01-01,1\n`);
    expect(error.message).toBe('line 3: expected 3 fields as in the header, found 4');
  });

  it('rejects misplaced quotes, counting the lines of multi-line fields before them', async () => {
    const before = `${HEADER}"Two\nLines",2020-01-01,1\n`;
    expect((await failure(`${before}12" Remix,2020-01-01,1\n`)).message).toBe(
      'line 4: a field holding a quote must be quoted as a whole, with the quote doubled',
    );
    expect((await failure(`${before}"Remix"ed,2020-01-01,1\n`)).message).toBe(
      'line 4: a closing quote must be followed by a comma or the end of the line',
    );
    expect((await failure(`${before}"Open,2020-01-01,1\nB,2020-01-01,1\n`)).message).toBe(
      'line 4: a quoted field is not closed before the end of the input',
    );
  });

  it('counts physical lines by line feeds: a lone CR inside quotes is not a line break', async () => {
    const error = await failure(
      `${HEADER}"Carriage\rReturn",2020-01-01,1\r\n"CR\r\nLF",2020-01-01,1\nA,2020-01-01,x\n`,
    );
    expect(error.message).toBe('line 5: Number of Plays must be a non-negative integer, got "x"');
  });

  it('fails at once on a missing column, listing the columns found', async () => {
    const error = await failure('Song, Day ,Plays\nA,2020-01-01,1\n');
    expect(error.code).toBe('MISSING_COLUMNS');
    expect(error.message).toBe(
      'the header lacks the columns "Date", "Number of Plays"; found "Song", "Day", "Plays"',
    );
    expect(error.details).toEqual({
      missing: ['Date', 'Number of Plays'],
      found: ['Song', 'Day', 'Plays'],
    });
  });

  it('fails on a header naming a column twice', async () => {
    const error = await failure('Song,Date,Number of Plays,song\n');
    expect(error.code).toBe('INVALID_INPUT');
    expect(error.message).toBe('line 1: the header names the column "Song" twice');
  });

  it.each([
    ['nothing', ''],
    ['a BOM only', '\uFEFF'],
    ['blank lines only', '\n\r\n\n'],
  ])('fails with EMPTY_INPUT on %s', async (_, input) => {
    const error = await failure(input);
    expect(error.code).toBe('EMPTY_INPUT');
    expect(error.message).toMatch(/^the input is empty/);
  });

  it('fails with LINE_TOO_LONG on a huge single line, and stops reading it', async () => {
    let served = 0;
    async function* hugeLine() {
      for (let i = 0; i < 80; i++) {
        served += 64 * 1024;
        yield Buffer.alloc(64 * 1024, 'a');
      }
    }
    const error = await aggregateCsvTuned(hugeLine(), collectingSink().sink, {}, TINY_TUNING).catch(
      (e: unknown) => e,
    );
    expect(error).toMatchObject({
      code: 'LINE_TOO_LONG',
      details: { line: 1, maxRecordBytes: 1024 * 1024 },
    });
    expect((error as PlaytallyError).message).toBe(
      'line 1: a record is longer than the limit of 1048576 bytes (is a quote left open?)',
    );
    expect(served).toBeLessThanOrEqual(2 * 1024 * 1024);
  });

  it('fails with LINE_TOO_LONG on one long record among good ones, whatever the chunking', async () => {
    const input = Buffer.from(`${HEADER}${goodRows(3)}${'x'.repeat(200)},2020-01-01,1
${goodRows(3)}`);
    for (const sizes of [[input.length], [13], [1]]) {
      const error = await failure(chunked(input, sizes), { maxRecordBytes: 128 });
      expect(error.code).toBe('LINE_TOO_LONG');
      expect(error.message).toBe(
        'line 5: a record is longer than the limit of 128 bytes (is a quote left open?)',
      );
    }
  });

  it('reports the line of an unclosed quote that swallows the rest of a big file', async () => {
    const rows = goodRows(50_000);
    const error = await failure(`${HEADER}A,2020-01-01,1\n"Open,2020-01-01,1\n${rows}`, {
      maxRecordBytes: 64 * 1024,
    });
    expect(error.code).toBe('LINE_TOO_LONG');
    expect(error.message).toMatch(/^line 3: a record is longer than the limit of 65536 bytes/);
  });

  it('fails with INVALID_INPUT naming the line of a NUL byte', async () => {
    const error = await failure(`${HEADER}A,2020-01-01,1\nB\u0000,2020-01-01,1\n`);
    expect(error.code).toBe('INVALID_INPUT');
    expect(error.message).toBe(
      'line 3: the input holds a NUL byte (is this a binary file?) at byte 2 of the line',
    );
    expect(error.details).toEqual({ line: 3, column: 2 });
  });

  it('fails with INVALID_INPUT naming the line of bytes that are not UTF-8', async () => {
    const input = Buffer.concat([
      Buffer.from(`${HEADER}A,2020-01-01,1\nCaf`),
      Buffer.from([0xe9]),
      Buffer.from(',2020-01-01,1\n'),
    ]);
    const error = await failure(input);
    expect(error.code).toBe('INVALID_INPUT');
    expect(error.message).toBe(
      'line 3: the input holds a byte that is not UTF-8 text (0xE9) at byte 4 of the line',
    );
  });

  it('fails with INVALID_INPUT on binary garbage such as a PNG file', async () => {
    const png = Buffer.from([
      0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, 0, 0, 0, 0x0d, 0x49, 0x48, 0x44, 0x52,
    ]);
    const error = await failure(Buffer.concat([png, Buffer.alloc(4096, 0xff)]));
    expect(error.code).toBe('INVALID_INPUT');
    expect(error.message).toMatch(
      /^line 1: the input holds a byte that is not UTF-8 text \(0x89\) at byte 1 of the line$/,
    );
  });

  it('reports a bad row before invalid bytes further down, whatever the chunking', async () => {
    const input = Buffer.from(`${HEADER}A,2020-01-01,x\n${goodRows(100)}\u0000\n`);
    for (const sizes of [[input.length], [7], [1]]) {
      const error = await failure(chunked(input, sizes));
      expect(error.message).toBe('line 2: Number of Plays must be a non-negative integer, got "x"');
    }
  });
});

describe('bad rows under the skip policy', () => {
  it('counts rejected rows, keeps the first few as examples, and aggregates the rest', async () => {
    const input = [
      'Song,Date,Number of Plays',
      'A,2020-01-01,1',
      'A,2020-01-01,x',
      'A,2020-02-30,1',
      ',2020-01-01,1',
      'A,2020-01-01',
      '"Open,2020-01-01,1',
      'A,2020-01-01,2',
    ].join('\n');
    const { text, statistics } = await aggregateToText(input, {
      onInvalid: 'skip',
      maxRejectedExamples: 3,
    });
    // The unclosed quote on line 7 swallows line 8 as well.
    expect(text).toBe('Song,Date,Total Number of Plays for Date\nA,2020-01-01,1\n');
    expect(statistics.rowsRead).toBe(6);
    expect(statistics.rowsRejected).toBe(5);
    expect(statistics.rejectedExamples).toEqual([
      { line: 3, reason: 'Number of Plays must be a non-negative integer, got "x"' },
      { line: 4, reason: 'Date must be a real calendar date, got "2020-02-30"' },
      { line: 5, reason: 'Song must not be empty' },
    ]);
  });

  it('still fails on input that is not CSV text at all', async () => {
    const error = await failure(`${HEADER}A,2020-01-01,1\n\u0000\u0001\n`, { onInvalid: 'skip' });
    expect(error.code).toBe('INVALID_INPUT');
  });

  it('still fails on a missing column', async () => {
    const error = await failure('Song,Date\nA,2020-01-01\n', { onInvalid: 'skip' });
    expect(error.code).toBe('MISSING_COLUMNS');
  });
});
