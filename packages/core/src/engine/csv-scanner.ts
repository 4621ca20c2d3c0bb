import { PlaytallyError } from '../errors.js';
import { type ColumnLayout, type RecordConsumer, RowOutcome } from './record-consumer.js';
import { RecordParser } from './record-parser.js';
import { readDate } from './row-fields.js';
import { findInvalidByte } from './text-validation.js';

const LF = 0x0a;
const CR = 0x0d;
const COMMA = 0x2c;
const QUOTE = 0x22;
const EMPTY = Buffer.alloc(0);
const FINAL_LF = Buffer.from([LF]);

/**
 * Where a scan of one byte range of a larger input begins: the header's column layout (read
 * beforehand from the start of the input) and the line number of the range's first byte.
 */
export interface ScanStart {
  readonly layout: ColumnLayout;
  readonly line: number;
  /**
   * True when the input given to the scanner ends at a split point rather than at the end of
   * the whole input. A quoted field still open there means the split was not on a record
   * boundary (stray quotes fooled it): the scanner then stops before that record and reports
   * it in {@link CsvScanner.truncatedAt} instead of rejecting it.
   */
  readonly endsAtSplit: boolean;
}

/** A record start: its byte offset in the whole input and its 1-based line number. */
export interface RecordStart {
  readonly offset: number;
  readonly line: number;
}

/**
 * Splits a byte stream into CSV records. Records without a quote take a fast path over the
 * raw bytes: one pass finds commas and the line feed, and the row's fields are handed over as
 * byte ranges of the input chunk, with no copy and no string. Records holding a quote go
 * through {@link RecordParser}. Each batch of complete lines is first checked to be UTF-8
 * text without NUL bytes. A partial last record is carried into the next chunk.
 */
export class CsvScanner {
  /** Data records seen (blank lines and the header excluded). */
  rowsRead = 0;
  /** Set when a split range ended inside a record (see {@link ScanStart.endsAtSplit}). */
  truncatedAt: RecordStart | undefined;
  private buf: Buffer = EMPTY;
  private pos = 0;
  private len = 0;
  private validatedEnd = 0;
  private pending: Buffer = EMPTY;
  private line = 1;
  private layout: ColumnLayout | undefined;
  private atStart = true;
  private stalled = 0;
  private failure: { readonly at: number; readonly error: PlaytallyError } | undefined;
  private readonly parser = new RecordParser();
  /** Bytes appended so far, counted from the input's first byte. */
  private appended = 0;
  private readonly endsAtSplit: boolean;

  constructor(
    private readonly consumer: RecordConsumer,
    private readonly maxRecordBytes: number,
    /** Scan at least this many buffered bytes at a time (small chunks are gathered first). */
    private readonly minBatchBytes: number,
    /** Scan one range of a larger input, past its header (see {@link ScanStart}). */
    start?: ScanStart,
    /** Offset of the first byte appended, within the whole input. */
    startOffset = 0,
  ) {
    this.appended = startOffset;
    this.endsAtSplit = start?.endsAtSplit ?? false;
    if (start !== undefined) {
      this.layout = start.layout;
      this.line = start.line;
      this.atStart = false;
    }
  }

  /** Offset, within the whole input, of the first byte not consumed yet. */
  get offset(): number {
    return this.appended - (this.len - this.pos);
  }

  /** Line number of the first byte not consumed yet. */
  get currentLine(): number {
    return this.line;
  }

  /** True once enough bytes are buffered to be worth a {@link scan}. */
  get ready(): boolean {
    return this.len - this.pos >= Math.max(this.minBatchBytes, this.stalled * 2);
  }

  /** Adds input. The chunk is read in place until the next `append`; it must not change. */
  append(chunk: Buffer): void {
    this.appended += chunk.length;
    const remaining = this.len - this.pos;
    if (remaining === 0) {
      this.buf = chunk;
      this.pos = 0;
      this.len = chunk.length;
      this.validatedEnd = 0;
      return;
    }
    const size = remaining + chunk.length;
    if (this.buf === this.pending && this.pending.length >= size) {
      this.pending.copyWithin(0, this.pos, this.len);
    } else {
      const target =
        this.pending.length >= size
          ? this.pending
          : Buffer.allocUnsafe(Math.max(size, 2 * this.pending.length));
      this.buf.copy(target, 0, this.pos, this.len);
      this.pending = target;
    }
    chunk.copy(this.pending, remaining);
    this.validatedEnd = Math.max(0, this.validatedEnd - this.pos);
    this.buf = this.pending;
    this.pos = 0;
    this.len = size;
  }

  /**
   * Consumes every complete record buffered (`final`: all of them, the input has ended).
   * Returns true when the consumer asked for a pause; call again after making room.
   */
  scan(final: boolean): boolean {
    if (final) this.endInput();
    if (this.len === this.pos) return this.afterScan(final);
    let end = final ? this.len : this.buf.lastIndexOf(LF, this.len - 1) + 1;
    if (end < this.pos) end = this.pos;
    if (end > this.validatedEnd) this.validate(end);
    if (this.failure) end = Math.min(end, this.failure.at);
    if (this.layout === undefined && !this.scanHeader(end, final)) return this.afterScan(final);
    if (this.scanRows(end, final)) return true;
    return this.afterScan(final);
  }

  /**
   * Reads only the byte order mark, blank lines and the header row; returns the layout once
   * the header is complete (then {@link offset} is where the data begins), or `undefined` when
   * more input is needed. Throws what {@link scan} would throw for a bad header.
   */
  readHeader(final: boolean): ColumnLayout | undefined {
    if (this.layout !== undefined) return this.layout;
    if (final) this.endInput();
    let end = final ? this.len : this.buf.lastIndexOf(LF, this.len - 1) + 1;
    if (end < this.pos) end = this.pos;
    if (end > this.validatedEnd) this.validate(end);
    if (this.failure) end = Math.min(end, this.failure.at);
    if (this.scanHeader(end, final)) return this.layout;
    this.afterScan(final);
    return undefined;
  }

  /** Ends the last record with a line feed when it lacks one (not counted in {@link offset}). */
  private endInput(): void {
    if (this.len > this.pos && this.buf[this.len - 1] !== LF) {
      this.append(FINAL_LF);
      this.appended--;
    }
  }

  /** Throws `EMPTY_INPUT` when the whole input held no header. Call after the final scan. */
  finish(): void {
    if (this.layout === undefined) {
      throw new PlaytallyError(
        'EMPTY_INPUT',
        'the input is empty: expected a header row naming the columns Song, Date and Number of Plays',
      );
    }
  }

  private afterScan(final: boolean): boolean {
    if (this.failure) throw this.failure.error;
    const remaining = this.len - this.pos;
    if (!final && remaining >= this.maxRecordBytes) throw this.tooLong(this.line);
    this.stalled = remaining;
    return false;
  }

  private validate(end: number): void {
    const from = Math.max(this.pos, this.validatedEnd);
    const bad = findInvalidByte(this.buf, from, end);
    if (bad === undefined) {
      this.validatedEnd = end;
      return;
    }
    let lineStart = bad.offset;
    while (lineStart > this.pos && this.buf[lineStart - 1] !== LF) lineStart--;
    let line = this.line;
    for (let i = this.pos; i < lineStart; i++) if (this.buf[i] === LF) line++;
    const column = bad.offset - lineStart + 1;
    const error = new PlaytallyError(
      'INVALID_INPUT',
      `line ${line}: the input holds ${bad.reason} at byte ${column} of the line`,
      { details: { line, column } },
    );
    this.failure = { at: lineStart, error };
    this.validatedEnd = lineStart;
  }

  /** Reads the header; false when it is not complete yet. */
  private scanHeader(end: number, final: boolean): boolean {
    const buf = this.buf;
    if (this.atStart) {
      if (this.len - this.pos < 3 && !final) return false;
      if (buf[this.pos] === 0xef && buf[this.pos + 1] === 0xbb && buf[this.pos + 2] === 0xbf)
        this.pos += 3;
      this.atStart = false;
    }
    let p = this.pos;
    while (p < end && (buf[p] === LF || (buf[p] === CR && buf[p + 1] === LF))) {
      p += buf[p] === LF ? 1 : 2;
      this.line++;
    }
    this.pos = p;
    if (p >= end) return false;
    const parser = this.parser;
    const status = parser.parse(buf, p, end, this.maxRecordBytes);
    if (status === 'too-long') throw this.tooLong(this.line);
    if (status === 'incomplete') {
      if (!final) return false;
      throw new PlaytallyError(
        'INVALID_INPUT',
        `line ${this.line}: the header has a quoted field that is never closed`,
        {
          details: { line: this.line },
        },
      );
    }
    if (parser.error !== undefined) {
      throw new PlaytallyError(
        'INVALID_INPUT',
        `line ${this.line}: the header is not valid CSV: ${parser.error}`,
        {
          details: { line: this.line, reason: parser.error },
        },
      );
    }
    const fields: string[] = [];
    for (let i = 0; i < parser.count; i++) {
      fields.push(parser.bytes.toString('utf8', parser.starts[i], parser.ends[i]));
    }
    this.layout = this.consumer.header(fields, this.line);
    this.line += 1 + parser.newlines;
    this.pos = parser.next;
    return true;
  }

  /** The hot loop. Returns true when the consumer asked for a pause. */
  private scanRows(end: number, final: boolean): boolean {
    const buf = this.buf;
    const consumer = this.consumer;
    const layout = this.layout!;
    const columns = layout.count;
    const songColumn = layout.song;
    const dateColumn = layout.date;
    const playsColumn = layout.plays;
    const maxBytes = this.maxRecordBytes;
    let p = this.pos;
    let line = this.line;
    let rows = this.rowsRead;
    let nextQuote = quoteIndex(buf, p, end);
    let paused = false;
    while (p < end) {
      const recordStart = p;
      const recordLine = line;
      let c = buf[p]!;
      if (c === LF || (c === CR && buf[p + 1] === LF)) {
        p += c === LF ? 1 : 2;
        line++;
        continue;
      }
      let field = 0;
      let songStart = 0;
      let songEnd = 0;
      let dateStart = 0;
      let dateEnd = 0;
      let playsStart = 0;
      let playsEnd = 0;
      let ymd = -1;
      let plays = -1;
      for (;;) {
        const fieldStart = p;
        if (field === dateColumn) {
          // A well-formed date is read in place and its ten bytes skipped. (Reading past the
          // line feed cannot pass: the line feed is neither digit nor dash.)
          const date = readDate(buf, p);
          c = buf[p + 10]!;
          if (date >= 0 && (c === COMMA || c === LF)) {
            ymd = date;
            p += 10;
          }
        } else if (field === playsColumn) {
          // Digits up to the separator are counted while they are scanned.
          let value = 0;
          let digit = buf[p]! - 48;
          while (digit >= 0 && digit <= 9) {
            value = value * 10 + digit;
            digit = buf[++p]! - 48;
          }
          c = buf[p]!;
          if (p > fieldStart && p - fieldStart <= 15 && (c === COMMA || c === LF)) plays = value;
        }
        c = buf[p]!;
        // Both separators are <= 0x2c; letters and digits are above, so most bytes take one test.
        while (c > COMMA || (c !== COMMA && c !== LF)) c = buf[++p]!;
        if (field === songColumn) {
          songStart = fieldStart;
          songEnd = p;
        } else if (field === dateColumn) {
          dateStart = fieldStart;
          dateEnd = p;
        } else if (field === playsColumn) {
          playsStart = fieldStart;
          playsEnd = p;
        }
        field++;
        if (c === LF) break;
        p++;
      }
      if (p - recordStart >= maxBytes) throw this.tooLong(recordLine);
      let outcome: number;
      if (nextQuote < p) {
        const parser = this.parser;
        const status = parser.parse(buf, recordStart, end, maxBytes);
        if (status === 'too-long') throw this.tooLong(recordLine);
        if (status === 'incomplete') {
          p = recordStart;
          // Not final: wait for more input. Invalid bytes ahead: report those instead.
          if (!final || this.failure) break;
          if (this.endsAtSplit) {
            this.truncatedAt = { offset: this.appended - (this.len - p), line: recordLine };
            break;
          }
          rows++;
          consumer.reject(recordLine, 'a quoted field is not closed before the end of the input');
          p = end;
          break;
        }
        p = parser.next;
        line += 1 + parser.newlines;
        nextQuote = quoteIndex(buf, p, end);
        outcome = this.parsedRow(layout, recordLine);
      } else {
        p++;
        line++;
        if (field !== columns) {
          consumer.reject(recordLine, fieldCountReason(columns, field));
          outcome = RowOutcome.Done;
        } else {
          outcome = consumer.row(
            buf,
            songStart,
            songEnd,
            buf,
            dateStart,
            dateEnd,
            buf,
            playsStart,
            playsEnd,
            recordLine,
            ymd,
            plays,
          );
        }
      }
      if (outcome === RowOutcome.Done) {
        rows++;
        continue;
      }
      if (outcome === RowOutcome.Retry) {
        p = recordStart;
        line = recordLine;
      } else {
        rows++;
      }
      paused = true;
      break;
    }
    this.pos = p;
    this.line = line;
    this.rowsRead = rows;
    return paused;
  }

  private parsedRow(layout: ColumnLayout, line: number): number {
    const parser = this.parser;
    if (parser.error !== undefined) {
      this.consumer.reject(line, parser.error);
      return RowOutcome.Done;
    }
    if (parser.count !== layout.count) {
      this.consumer.reject(line, fieldCountReason(layout.count, parser.count));
      return RowOutcome.Done;
    }
    const bytes = parser.bytes;
    const starts = parser.starts;
    const ends = parser.ends;
    return this.consumer.row(
      bytes,
      starts[layout.song]!,
      ends[layout.song]!,
      bytes,
      starts[layout.date]!,
      ends[layout.date]!,
      bytes,
      starts[layout.plays]!,
      ends[layout.plays]!,
      line,
      -1,
      -1,
    );
  }

  private tooLong(line: number): PlaytallyError {
    const limit = this.maxRecordBytes;
    return new PlaytallyError(
      'LINE_TOO_LONG',
      `line ${line}: a record is longer than the limit of ${limit} bytes (is a quote left open?)`,
      { details: { line, maxRecordBytes: limit } },
    );
  }
}

/** Position of the next quote in `[from, end)`, or `end`. */
function quoteIndex(buf: Buffer, from: number, end: number): number {
  const i = buf.indexOf(QUOTE, from);
  return i === -1 || i > end ? end : i;
}

function fieldCountReason(expected: number, found: number): string {
  return `expected ${expected} fields as in the header, found ${found}`;
}
