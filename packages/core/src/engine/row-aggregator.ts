import { PlaytallyError } from '../errors.js';
import { dayNumber, isCalendarDate } from './calendar.js';
import { GroupTable } from './group-table.js';
import { resolveColumns } from './header-columns.js';
import { type ColumnLayout, type RecordConsumer, RowOutcome } from './record-consumer.js';
import {
  dateFormatReason,
  EMPTY_SONG_REASON,
  type LongPlays,
  parseLongPlays,
  playsReason,
  readDate,
  unrealDateReason,
} from './row-fields.js';
import { SongInterner } from './song-interner.js';
import { SORT_BYTES_PER_SONG } from './sorted-table.js';
import type { InvalidRowPolicy, RejectedRow } from './types.js';
import { trimEndIndex, trimStartIndex } from './whitespace.js';

/**
 * Validates each row and adds it to the group table: trims the fields, reads the date into a
 * day number (through a small cache of recent dates) and the plays into an exact double,
 * interns the song's bytes, and adds to the (song id, day) group. It also keeps the memory
 * budget: before the table or the interner would grow past it, it asks the scanner to pause
 * so the owner can spill the table to disk.
 */
export class RowAggregator implements RecordConsumer {
  readonly songs = new SongInterner();
  readonly table = new GroupTable();
  rowsRejected = 0;
  readonly rejectedExamples: RejectedRow[] = [];
  private readonly dateKeys = new Int32Array(1024).fill(-1);
  private readonly dateDays = new Int32Array(1024);
  private readonly longPlays: LongPlays = { value: 0, big: 0n };

  constructor(
    private readonly policy: InvalidRowPolicy,
    private readonly maxExamples: number,
    private readonly memoryBudget: number,
  ) {}

  header(fields: readonly string[], line: number): ColumnLayout {
    return resolveColumns(fields, line);
  }

  row(
    sb: Buffer,
    ss: number,
    se: number,
    db: Buffer,
    ds: number,
    de: number,
    pb: Buffer,
    ps: number,
    pe: number,
    line: number,
    scannedYmd: number,
    scannedPlays: number,
  ): number {
    // Trim only when an edge byte could be whitespace (rare), else keep the raw range.
    let c = sb[ss]!;
    if (c <= 0x20 || c >= 0x80) ss = trimStartIndex(sb, ss, se);
    c = sb[se - 1]!;
    if (se > ss && (c <= 0x20 || c >= 0x80)) se = trimEndIndex(sb, ss, se);
    if (se <= ss) return this.reject(line, EMPTY_SONG_REASON);

    let ymd = scannedYmd;
    if (ymd < 0) {
      c = db[ds]!;
      if (c <= 0x20 || c >= 0x80) ds = trimStartIndex(db, ds, de);
      c = db[de - 1]!;
      if (de > ds && (c <= 0x20 || c >= 0x80)) de = trimEndIndex(db, ds, de);
      if (de - ds === 10) ymd = readDate(db, ds);
      if (ymd < 0) return this.reject(line, dateFormatReason(db, ds, de));
    }
    const slot = ymd & 1023;
    let day: number;
    if (this.dateKeys[slot] === ymd) {
      day = this.dateDays[slot]!;
    } else {
      const year = Math.floor(ymd / 10_000);
      const month = Math.floor(ymd / 100) % 100;
      const dom = ymd % 100;
      if (!isCalendarDate(year, month, dom)) return this.reject(line, unrealDateReason(db, ds, de));
      day = dayNumber(year, month, dom);
      this.dateKeys[slot] = ymd;
      this.dateDays[slot] = day;
    }

    let plays = scannedPlays;
    let bigPlays = 0n;
    if (plays < 0) {
      c = pb[ps]!;
      if (c <= 0x20 || c >= 0x80) ps = trimStartIndex(pb, ps, pe);
      c = pb[pe - 1]!;
      if (pe > ps && (c <= 0x20 || c >= 0x80)) pe = trimEndIndex(pb, ps, pe);
      if (pe - ps > 0 && pe - ps <= 15) {
        plays = 0;
        for (let i = ps; i < pe; i++) {
          const digit = pb[i]! - 48;
          if (digit >>> 0 > 9) return this.reject(line, playsReason(pb, ps, pe));
          plays = plays * 10 + digit;
        }
      } else {
        if (!parseLongPlays(pb, ps, pe, this.longPlays)) {
          return this.reject(line, playsReason(pb, ps, pe));
        }
        plays = this.longPlays.value;
        bigPlays = this.longPlays.big;
      }
    }

    const songs = this.songs;
    const hash = songs.pack(sb, ss, se);
    let songId = songs.find(sb, ss, se, hash);
    if (songId < 0) {
      if (!this.songFits(se - ss)) return RowOutcome.Retry;
      songId = songs.add(sb, ss, se, hash);
    }
    const table = this.table;
    if (!table.queue(songId, day, plays, bigPlays)) return RowOutcome.Done;
    table.flush();
    // Checked per batch, so `size` may pass `limit` by less than a batch: the table still has
    // a quarter of its slots free.
    if (table.size >= table.limit) return this.makeRoom();
    return RowOutcome.Done;
  }

  reject(line: number, reason: string): number {
    if (this.policy === 'fail') {
      throw new PlaytallyError('INVALID_ROW', `line ${line}: ${reason}`, {
        details: { line, reason },
      });
    }
    this.rowsRejected++;
    if (this.rejectedExamples.length < this.maxExamples)
      this.rejectedExamples.push({ line, reason });
    return RowOutcome.Done;
  }

  /** True when the table holds groups (a spill would free something). */
  get hasGroups(): boolean {
    return !this.table.isEmpty;
  }

  /** Forgets all groups and songs after they were spilled. */
  clear(): void {
    this.table.reset();
    this.songs.reset();
  }

  /** Bytes the interner holds, plus what sorting its songs takes (sorting needs nothing per group). */
  private songBytes(): number {
    return this.songs.memoryBytes + this.songs.capacity * SORT_BYTES_PER_SONG;
  }

  /**
   * Grows the table when the growth fits the budget (while rehashing, the old array and the
   * new one, twice as big, both exist); otherwise asks for a spill.
   */
  private makeRoom(): number {
    const table = this.table;
    if (3 * table.memoryBytes + this.songBytes() <= this.memoryBudget) {
      table.grow();
      return RowOutcome.Done;
    }
    return RowOutcome.DonePause;
  }

  private songFits(length: number): boolean {
    const songs = this.songs;
    let extra = songs.growthBytes(length);
    if (extra === 0 || !this.hasGroups) return true;
    if (songs.count === songs.capacity) extra += songs.capacity * SORT_BYTES_PER_SONG;
    return this.table.memoryBytes + this.songBytes() + extra <= this.memoryBudget;
  }
}
