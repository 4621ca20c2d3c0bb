import { parse } from 'csv-parse/sync';
import type { InvalidRowPolicy, RejectedRow } from './types.js';

/** What {@link referenceAggregate} returns. */
export interface ReferenceResult {
  readonly csv: string;
  readonly rowsRead: number;
  readonly rejected: readonly RejectedRow[];
}

/**
 * The straightforward implementation the fast engine is tested against: csv-parse, a Map keyed
 * by strings, BigInt sums, and a sort. It follows the same aggregation rules with none of the
 * engine's machinery, so any difference between the two is a bug in one of them. Used by tests
 * only; never fast.
 */
export function referenceAggregate(
  input: string | Buffer,
  onInvalid: InvalidRowPolicy = 'fail',
): ReferenceResult {
  const records = parse(input, {
    bom: true,
    skip_empty_lines: true,
    relax_column_count: true,
    record_delimiter: ['\r\n', '\n'],
    info: true,
  }) as unknown as { record: string[]; info: { lines: number } }[];
  const [header, ...rows] = records;
  if (!header) throw new Error('EMPTY_INPUT');
  const names = header.record.map((name) => name.trim().toLowerCase());
  const song = names.indexOf('song');
  const date = names.indexOf('date');
  const plays = names.indexOf('number of plays');
  if (song < 0 || date < 0 || plays < 0) throw new Error('MISSING_COLUMNS');

  const totals = new Map<string, bigint>();
  const rejected: RejectedRow[] = [];
  // csv-parse counts a CR and an LF inside quotes as two lines; the contract counts LFs only
  // (physical lines). Undo csv-parse's extra counts: the record's own breaks, and the CRs inside
  // earlier records.
  const count = (fields: string[], char: string) =>
    fields.reduce((sum, f) => sum + f.split(char).length - 1, 0);
  let earlierCarriageReturns = count(header.record, '\r');
  for (const { record, info } of rows) {
    const ownBreaks = count(record, '\r') + count(record, '\n');
    const line = info.lines - ownBreaks - earlierCarriageReturns;
    earlierCarriageReturns += count(record, '\r');
    const reason = rowProblem(record, header.record.length, song, date, plays);
    if (reason !== undefined) {
      if (onInvalid === 'fail') throw new Error(`line ${line}: ${reason}`);
      rejected.push({ line, reason });
      continue;
    }
    const key = JSON.stringify([record[song]!.trim(), record[date]!.trim()]);
    totals.set(key, (totals.get(key) ?? 0n) + BigInt(record[plays]!.trim()));
  }

  const groups = [...totals].map(([key, total]) => {
    const [s, d] = JSON.parse(key) as [string, string];
    return { song: s, date: d, total };
  });
  groups.sort(
    (a, b) =>
      Buffer.compare(Buffer.from(a.song), Buffer.from(b.song)) || (a.date < b.date ? -1 : 1),
  );
  const quote = (s: string) => (/[",\r\n]/.test(s) ? `"${s.replaceAll('"', '""')}"` : s);
  const csv = ['Song,Date,Total Number of Plays for Date\n']
    .concat(groups.map((g) => `${quote(g.song)},${g.date},${g.total}\n`))
    .join('');
  return { csv, rowsRead: rows.length, rejected };
}

function rowProblem(
  record: string[],
  columns: number,
  song: number,
  date: number,
  plays: number,
): string | undefined {
  if (record.length !== columns)
    return `expected ${columns} fields as in the header, found ${record.length}`;
  if (record[song]!.trim() === '') return 'Song must not be empty';
  const day = record[date]!.trim();
  if (!/^\d{4}-\d{2}-\d{2}$/.test(day))
    return `Date must be a date in YYYY-MM-DD form, got ${JSON.stringify(day)}`;
  const parsed = new Date(`${day}T00:00:00Z`);
  if (Number.isNaN(parsed.getTime()) || parsed.toISOString().slice(0, 10) !== day) {
    return `Date must be a real calendar date, got ${JSON.stringify(day)}`;
  }
  const count = record[plays]!.trim();
  if (!/^\d+$/.test(count))
    return `Number of Plays must be a non-negative integer, got ${JSON.stringify(count)}`;
  return undefined;
}
