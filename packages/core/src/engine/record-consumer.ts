/*
 * The contract between the CSV scanner, which finds records, and the row aggregator, which
 * validates and counts them.
 */

/** Where the three columns sit in each record, from the header. */
export interface ColumnLayout {
  /** Fields per record. */
  readonly count: number;
  readonly song: number;
  readonly date: number;
  readonly plays: number;
}

/** What {@link RecordConsumer.row} did with a row. */
export const RowOutcome = {
  /** Taken (added or rejected); go on. */
  Done: 0,
  /** Taken; stop scanning so the owner can make room (spill) before the next row. */
  DonePause: 1,
  /** Not taken: stop, make room, then offer the same row again. */
  Retry: 2,
} as const;

/** Receives the header and rows the scanner finds. */
export interface RecordConsumer {
  /** Maps the header's fields (decoded, untrimmed) to a layout, or throws `MISSING_COLUMNS`. */
  header(fields: readonly string[], line: number): ColumnLayout;
  /**
   * One row's song, date and plays fields as byte ranges (untrimmed); returns a
   * {@link RowOutcome}. When the scanner already read a well-formed date or count in passing,
   * `ymd` (year * 10000 + month * 100 + day, not yet checked against the calendar) and
   * `plays` carry it; otherwise they are -1.
   */
  row(
    songBuf: Buffer,
    songStart: number,
    songEnd: number,
    dateBuf: Buffer,
    dateStart: number,
    dateEnd: number,
    playsBuf: Buffer,
    playsStart: number,
    playsEnd: number,
    line: number,
    ymd: number,
    plays: number,
  ): number;
  /** A record that is not well-formed CSV for this header; throws under the `fail` policy. */
  reject(line: number, reason: string): void;
}
