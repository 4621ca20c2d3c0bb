/**
 * The general RFC 4180 record parser: quoted fields, `""` escapes, commas and line breaks
 * inside quotes, LF or CRLF endings. The scanner uses it for the header and for any record
 * holding a quote; unquoted records take the scanner's fast path instead. Field contents are
 * unescaped into one scratch buffer.
 *
 * Leniency, on purpose: spaces or tabs around a quoted field (`a, "b" ,c`) are allowed and
 * dropped. Errors (a quote inside an unquoted field, text after a closing quote) do not stop
 * parsing: the record still ends at the right place so the `skip` policy can go on.
 */

const QUOTE = 0x22;
const COMMA = 0x2c;
const LF = 0x0a;
const CR = 0x0d;
const SPACE = 0x20;
const TAB = 0x09;

/** `complete`, or why not: the record runs past the bytes given, or past the size limit. */
export type ParseStatus = 'complete' | 'incomplete' | 'too-long';

/** Parses one record at a time into reusable buffers (see above). */
export class RecordParser {
  /** Unescaped field contents, back to back. */
  bytes = Buffer.allocUnsafe(4096);
  starts = new Int32Array(16);
  ends = new Int32Array(16);
  /** Fields in the last parsed record. */
  count = 0;
  /** Position just after the record's line feed. */
  next = 0;
  /** Line feeds inside quoted fields of the record (so physical line numbers stay right). */
  newlines = 0;
  /** The first problem found in the record, if any. */
  error: string | undefined;

  /**
   * Parses the record starting at `start`. `end` bounds the bytes available; a record not
   * finished before `end` is `incomplete`, or `too-long` when it already spans `maxBytes`.
   */
  parse(buf: Buffer, start: number, end: number, maxBytes: number): ParseStatus {
    const limit = Math.min(end, start + maxBytes);
    if (this.bytes.length < limit - start) this.bytes = Buffer.allocUnsafe((limit - start) * 2);
    const out = this.bytes;
    let w = 0;
    let p = start;
    this.count = 0;
    this.newlines = 0;
    this.error = undefined;
    for (;;) {
      const fieldStart = w;
      let q = p;
      while (q < limit && (buf[q] === SPACE || buf[q] === TAB)) q++;
      let c = -1;
      if (q < limit && buf[q] === QUOTE) {
        p = q + 1;
        for (;;) {
          if (p >= limit) return limit < end ? 'too-long' : 'incomplete';
          c = buf[p]!;
          if (c === QUOTE) {
            if (p + 1 >= limit) return limit < end ? 'too-long' : 'incomplete';
            if (buf[p + 1] !== QUOTE) break;
            p++;
          } else if (c === LF) {
            this.newlines++;
          }
          out[w++] = c;
          p++;
        }
        p++;
        while (p < limit && (buf[p] === SPACE || buf[p] === TAB)) p++;
        if (p < limit && buf[p] === CR && p + 1 < limit && buf[p + 1] === LF) p++;
        c = p < limit ? buf[p]! : -1;
        if (c !== COMMA && c !== LF && c !== -1) {
          this.error ??= 'a closing quote must be followed by a comma or the end of the line';
        }
      }
      // Unquoted text, or what follows a misplaced closing quote: up to a comma or line feed.
      while (p < limit) {
        c = buf[p]!;
        if (c === COMMA || c === LF) break;
        if (c === QUOTE) {
          this.error ??=
            'a field holding a quote must be quoted as a whole, with the quote doubled';
        }
        out[w++] = c;
        p++;
      }
      if (p >= limit) return limit < end ? 'too-long' : 'incomplete';
      this.addField(fieldStart, w);
      p++;
      if (c === LF) break;
    }
    this.next = p;
    return 'complete';
  }

  private addField(start: number, end: number): void {
    if (this.count === this.starts.length) {
      const starts = new Int32Array(this.count * 2);
      const ends = new Int32Array(this.count * 2);
      starts.set(this.starts);
      ends.set(this.ends);
      this.starts = starts;
      this.ends = ends;
    }
    this.starts[this.count] = start;
    this.ends[this.count++] = end;
  }
}
