import { Readable } from 'node:stream';

/**
 * The rows of one song from a result CSV (`Song,Date,Total Number of Plays for Date`, sorted
 * by song in UTF-8 byte order, then by date), with the header, as a stream. The result is
 * sorted, so the scan stops at the first song after `song`: a bounded read, not the whole file.
 * Songs are compared as the engine writes them (trimmed); quoted songs (holding a comma, a
 * quote or a line break) are understood.
 *
 * @example
 * ```ts
 * const rows = songRows(await blobs.read(job.resultKey), 'Umbrella');
 * rows.pipe(process.stdout);
 * ```
 */
export function songRows(result: Readable, song: string): Readable {
  const wanted = Buffer.from(song.trim(), 'utf8');
  return Readable.from(scan(result, wanted), { objectMode: false });
}

async function* scan(result: Readable, wanted: Buffer): AsyncGenerator<string> {
  const decoder = new TextDecoder('utf-8');
  let text = '';
  let header = true;
  let done = false;
  try {
    for await (const chunk of result as AsyncIterable<Buffer>) {
      text += decoder.decode(chunk, { stream: true });
      const { records, rest } = splitRecords(text, false);
      text = rest;
      const out = take(records);
      if (out) yield out;
      if (done) return;
    }
    text += decoder.decode();
    const { records } = splitRecords(text, true);
    const out = take(records);
    if (out) yield out;
  } finally {
    // Stopped early (past the song, or the reader went away): release the file.
    result.destroy();
  }

  function take(records: readonly Record[]): string {
    let out = '';
    for (const record of records) {
      if (header) {
        header = false;
        out += record.line;
        continue;
      }
      const order = Buffer.compare(Buffer.from(record.song, 'utf8'), wanted);
      if (order === 0) out += record.line;
      else if (order > 0) {
        done = true;
        break;
      }
    }
    return out;
  }
}

interface Record {
  /** The song, unquoted. */
  readonly song: string;
  /** The whole record with its line feed, as written. */
  readonly line: string;
}

/**
 * Splits complete records off `text`; `rest` is an incomplete last one (unless `final`). Only
 * the first field can be quoted in a result file.
 */
function splitRecords(text: string, final: boolean): { records: Record[]; rest: string } {
  const records: Record[] = [];
  let at = 0;
  while (at < text.length) {
    let song: string;
    let fieldEnd: number;
    if (text[at] === '"') {
      let i = at + 1;
      let value = '';
      for (;;) {
        const quote = text.indexOf('"', i);
        if (quote === -1) return { records, rest: final ? '' : text.slice(at) };
        value += text.slice(i, quote);
        if (text[quote + 1] === '"') {
          value += '"';
          i = quote + 2;
          continue;
        }
        if (quote + 1 >= text.length && !final) return { records, rest: text.slice(at) };
        fieldEnd = quote + 1;
        break;
      }
      song = value;
    } else {
      const comma = text.indexOf(',', at);
      const newline = text.indexOf('\n', at);
      fieldEnd = comma === -1 || (newline !== -1 && newline < comma) ? newline : comma;
      if (fieldEnd === -1) {
        if (!final) return { records, rest: text.slice(at) };
        fieldEnd = text.length;
      }
      song = text.slice(at, fieldEnd);
    }
    const newline = text.indexOf('\n', fieldEnd);
    if (newline === -1 && !final) return { records, rest: text.slice(at) };
    const end = newline === -1 ? text.length : newline + 1;
    records.push({ song: song.trim(), line: text.slice(at, end) });
    at = end;
  }
  return { records, rest: '' };
}
