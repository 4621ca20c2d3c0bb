// The naive baseline: what one writes first. csv-parse row by row into objects, a Map keyed
// by "song\u0000date" strings, a sort, and a join. Correct on the benchmark files, and as
// strict as the engine about dates and counts, but with none of its machinery. Sums are plain
// numbers, as one would write them first (exact here: the benchmark totals stay far below 2^53).
// Usage: node bench/naive-aggregate.mjs <input.csv> <output.csv>
import { createReadStream } from 'node:fs';
import { writeFile } from 'node:fs/promises';
import { parse } from 'csv-parse';

const [input, output] = process.argv.slice(2);
if (!input || !output) {
  console.error('usage: naive-aggregate.mjs <input.csv> <output.csv>');
  process.exit(2);
}
const totals = new Map();
const parser = createReadStream(input).pipe(
  parse({ columns: (names) => names.map((n) => n.trim()), bom: true }),
);
for await (const row of parser) {
  const song = row.Song.trim();
  const date = row.Date.trim();
  const plays = row['Number of Plays'].trim();
  if (!song || !/^\d{4}-\d{2}-\d{2}$/.test(date) || !/^\d+$/.test(plays))
    throw new Error(`bad row ${JSON.stringify(row)}`);
  const key = `${song}\u0000${date}`;
  totals.set(key, (totals.get(key) ?? 0) + Number(plays));
}
const rows = [...totals].map(([key, total]) => {
  const [song, date] = key.split('\u0000');
  return { song, date, total, bytes: Buffer.from(song) };
});
rows.sort(
  (a, b) => Buffer.compare(a.bytes, b.bytes) || (a.date < b.date ? -1 : a.date > b.date ? 1 : 0),
);
const quote = (s) => (/[",\r\n]/.test(s) ? `"${s.replaceAll('"', '""')}"` : s);
const lines = rows.map((r) => `${quote(r.song)},${r.date},${r.total}\n`);
await writeFile(output, `Song,Date,Total Number of Plays for Date\n${lines.join('')}`);
