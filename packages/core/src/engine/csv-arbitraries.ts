import fc from 'fast-check';

/*
 * Test support: fast-check arbitraries of CSV files of song plays for differential tests:
 * quoted fields with commas, quotes and line breaks, CRLF, a BOM, Unicode up to astral
 * characters and odd whitespace, shuffled header order with extra columns, blank lines and
 * huge counts; optionally invalid rows. Not part of the package API.
 */

const interesting = fc.constantFrom(
  'a',
  'b',
  'Z',
  ' ',
  ',',
  '"',
  '\n',
  '\r\n',
  '\r',
  '\t',
  'é',
  '日',
  '😀',
  '𝄞',
  '\u00a0',
  '\u3000',
  '\u2028',
  '\uFEFF',
  '\u0085',
);
const text = fc.oneof(
  {
    weight: 3,
    arbitrary: fc.array(interesting, { minLength: 1, maxLength: 8 }).map((chars) => chars.join('')),
  },
  {
    weight: 1,
    arbitrary: fc
      .string({ unit: 'binary', minLength: 1, maxLength: 6 })
      .filter((s) => !s.includes('\0')),
  },
);
const validDate = fc.constantFrom(
  '2020-01-01',
  '2020-02-29',
  '1999-12-31',
  '0000-01-01',
  '9999-12-31',
  '2021-06-15',
);
const validPlays = fc
  .oneof(fc.nat(1000).map(BigInt), fc.bigInt(0n, 2n ** 70n), fc.constant(2n ** 53n - 1n))
  .chain((n) => fc.constantFrom(`${n}`, `00${n}`, ` ${n} `));
const padding = fc.constantFrom('', '', ' ', '\t');

interface Layout {
  /** Where Song, Date and Number of Plays go among all columns. */
  positions: number[];
  header: string[];
}

const layout: fc.Arbitrary<Layout> = fc
  .record({
    extras: fc.array(fc.constantFrom('Artist', 'Album, Side', 'Notes "x"', 'Genre'), {
      maxLength: 2,
    }),
    names: fc.tuple(
      fc.constantFrom('Song', 'song', ' SONG '),
      fc.constantFrom('Date', 'DATE', 'date '),
      fc.constantFrom('Number of Plays', 'number of plays', ' Number Of Plays'),
    ),
  })
  .chain(({ extras, names }) =>
    fc
      .shuffledSubarray([0, 1, 2, ...extras.map((_, i) => 3 + i)], { minLength: 3 + extras.length })
      .map((order) => {
        const all = [...names, ...extras];
        return {
          header: order.map((i) => all[i]!),
          positions: [0, 1, 2].map((i) => order.indexOf(i)),
        };
      }),
  );

/** A field as CSV: quoted when it must be (and sometimes when it need not). */
const field = (value: string, quoteAnyway: boolean) =>
  quoteAnyway || /[",\r\n]/.test(value) ? `"${value.replaceAll('"', '""')}"` : value;

const invalidValue = fc.constantFrom(
  ['song', ''],
  ['song', '  '],
  ['date', '2020-02-30'],
  ['date', '2020/01/01'],
  ['date', ''],
  ['plays', '12a'],
  ['plays', '-1'],
  ['plays', '1.5'],
  ['plays', ''],
  ['fields', 'drop'],
  ['fields', 'add'],
);

/** A CSV file of plays (as bytes); with `withInvalidRows`, some rows are bad. */
export function csvFile(withInvalidRows: boolean, maxRows = 40) {
  return fc
    .record({
      layout,
      songs: fc.array(
        text.filter((song) => song.trim() !== ''),
        { minLength: 1, maxLength: 5 },
      ),
      rows: fc.array(
        fc.record({
          song: fc.nat(4),
          date: validDate,
          plays: validPlays,
          padding,
          extra: text,
          quote: fc.boolean(),
          ending: fc.constantFrom('\n', '\r\n', '\n\n'),
          invalid: withInvalidRows ? fc.option(invalidValue, { freq: 4 }) : fc.constant(null),
        }),
        { maxLength: maxRows },
      ),
      bom: fc.boolean(),
      headerEnding: fc.constantFrom('\n', '\r\n'),
      finalNewline: fc.boolean(),
    })
    .map(({ layout, songs, rows, bom, headerEnding, finalNewline }) => {
      const header = layout.header.map((name) => field(name, false)).join(',');
      const records = rows.map((row) => {
        const values: string[] = layout.header.map(() => row.extra);
        values[layout.positions[0]!] = songs[row.song % songs.length]!;
        values[layout.positions[1]!] = `${row.padding}${row.date}`;
        values[layout.positions[2]!] = row.plays;
        const [kind, bad] = row.invalid ?? [];
        if (kind === 'song') values[layout.positions[0]!] = bad!;
        if (kind === 'date') values[layout.positions[1]!] = bad!;
        if (kind === 'plays') values[layout.positions[2]!] = bad!;
        if (kind === 'fields' && bad === 'drop') values.pop();
        if (kind === 'fields' && bad === 'add') values.push('more');
        return values.map((value) => field(value, row.quote)).join(',') + row.ending;
      });
      let csv = `${bom ? '\uFEFF' : ''}${header}${headerEnding}${records.join('')}`;
      if (!finalNewline) csv = csv.replace(/(\r?\n)+$/, '');
      return Buffer.from(csv, 'utf8');
    });
}
