import { abortable, checkAborted } from './abort.js';
import { formatDayNumber } from './calendar.js';
import type { GroupCursor } from './group-cursor.js';
import type { SinkWriter } from './sink-writer.js';

/** The output header, with its line feed. */
export const OUTPUT_HEADER = 'Song,Date,Total Number of Plays for Date\n';

const CHUNK = 1 << 20;
const COMMA = 0x2c;
const QUOTE = 0x22;
const LF = 0x0a;
const CR = 0x0d;

/**
 * Writes the cursor's groups as the output CSV: the header (unless `header` is false, for a
 * slice of the output), then `song,date,total` rows with LF endings and a final newline. A song is quoted only when it holds a comma, a quote, CR or LF
 * (quotes doubled); songs are trimmed, so leading or trailing spaces never need quoting. Dates
 * and totals never need quoting. Returns the number of rows written.
 */
export async function writeCsv(
  cursor: GroupCursor,
  writer: SinkWriter,
  signal: AbortSignal | undefined,
  header = true,
): Promise<number> {
  let buf = Buffer.allocUnsafe(CHUNK);
  let used = header ? buf.write(OUTPUT_HEADER, 0, 'latin1') : 0;
  let rows = 0;
  const dates = new DateBytesCache();
  const flush = async () => {
    checkAborted(signal);
    await abortable(writer.write(buf.subarray(0, used)), signal);
    buf = Buffer.allocUnsafe(CHUNK);
    used = 0;
  };
  while (cursor.nextSong()) {
    // "song," once per song; each row then copies it, the date, and the total.
    const prefix = songPrefix(cursor.song);
    const prefixLength = prefix.length;
    while (cursor.nextDay()) {
      // prefix + date + comma + up to 40 digits + LF
      const room = prefixLength + 52;
      if (used + room > buf.length) {
        await flush();
        if (room > buf.length) buf = Buffer.allocUnsafe(room);
      }
      // Byte loops beat Buffer#copy's native call for fields this short.
      for (let i = 0; i < prefixLength; i++) buf[used++] = prefix[i]!;
      used = dates.write(cursor.day, buf, used);
      buf[used++] = COMMA;
      used = writeTotal(cursor.total, cursor.bigTotal, buf, used);
      buf[used++] = LF;
      rows++;
    }
  }
  if (used > 0) await flush();
  return rows;
}

/** The song as a CSV field followed by a comma. */
function songPrefix(song: Buffer): Buffer {
  const field = songField(song);
  const prefix = Buffer.allocUnsafe(field.length + 1);
  field.copy(prefix);
  prefix[field.length] = COMMA;
  return prefix;
}

/** The song as a CSV field: as is, or quoted with quotes doubled when it must be. */
function songField(song: Buffer): Buffer {
  let quotes = 0;
  let special = false;
  for (let i = 0; i < song.length; i++) {
    const c = song[i]!;
    if (c === QUOTE) quotes++;
    else if (c === COMMA || c === LF || c === CR) special = true;
  }
  if (!special && quotes === 0) return song;
  const field = Buffer.allocUnsafe(song.length + quotes + 2);
  let at = 0;
  field[at++] = QUOTE;
  for (let i = 0; i < song.length; i++) {
    const c = song[i]!;
    if (c === QUOTE) field[at++] = QUOTE;
    field[at++] = c;
  }
  field[at++] = QUOTE;
  return field;
}

function writeTotal(total: number, bigTotal: bigint, buf: Buffer, at: number): number {
  if (Number.isNaN(total)) return at + buf.write(bigTotal.toString(), at, 'latin1');
  if (total > 0x7fffffff) return at + buf.write(String(total), at, 'latin1');
  // Small totals (nearly all): int32 arithmetic, digits written from the end.
  let value = total | 0;
  let end = at + 1;
  for (let rest = value; rest >= 10; rest = (rest / 10) | 0) end++;
  let p = end;
  do {
    const quotient = (value / 10) | 0;
    buf[--p] = 48 + value - quotient * 10;
    value = quotient;
  } while (value > 0);
  return end;
}

/** `YYYY-MM-DD` bytes per day number, formatted once per distinct day (direct-mapped). */
class DateBytesCache {
  private readonly keys = new Int32Array(4096).fill(-1);
  private readonly bytes = Buffer.alloc(4096 * 10);

  write(day: number, buf: Buffer, at: number): number {
    const slot = day & 4095;
    if (this.keys[slot] !== day) {
      this.bytes.write(formatDayNumber(day), slot * 10, 'latin1');
      this.keys[slot] = day;
    }
    const bytes = this.bytes;
    for (let i = slot * 10, end = i + 10; i < end; i++) buf[at++] = bytes[i]!;
    return at;
  }
}
