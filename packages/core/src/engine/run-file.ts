import { closeSync, openSync, readSync } from 'node:fs';
import type { FileHandle } from 'node:fs/promises';
import { PlaytallyError } from '../errors.js';
import { checkAborted } from './abort.js';
import type { GroupCursor } from './group-cursor.js';

/*
 * A spilled run is a binary file of song blocks in cursor order:
 *
 *   u32 songByteLength, song bytes,
 *   then per day: i32 day, f64 total (NaN when the total is past 2^53 - 1, followed by
 *                 u32 digitCount and the total's decimal digits),
 *   then i32 -1 ending the song.
 *
 * Little-endian throughout. Nothing in it is ever parsed as CSV again, so no escaping.
 */

const END_OF_SONG = -1;
const WRITE_BUFFER = 1 << 20;
const READ_BUFFER = 1 << 16;

/** A song block of a run file: where it starts, and how many groups come before it. */
export interface RunIndexEntry {
  readonly song: Buffer;
  readonly offset: number;
  readonly groupsBefore: number;
}

/**
 * Writes everything `cursor` yields to `file`; returns the number of groups written. With
 * `index`, it also notes a song block about every `indexEvery` groups there, so that a reader
 * can start at a song instead of the beginning.
 */
export async function writeRun(
  cursor: GroupCursor,
  file: FileHandle,
  signal: AbortSignal | undefined,
  index?: { entries: RunIndexEntry[]; every: number },
): Promise<number> {
  let buf = Buffer.allocUnsafe(WRITE_BUFFER);
  let used = 0;
  let flushed = 0;
  let groups = 0;
  let nextIndexAt = 0;
  const flush = async () => {
    checkAborted(signal);
    await file.write(buf, 0, used);
    flushed += used;
    used = 0;
  };
  while (cursor.nextSong()) {
    const song = cursor.song;
    if (index !== undefined && groups >= nextIndexAt) {
      index.entries.push({ song: Buffer.from(song), offset: flushed + used, groupsBefore: groups });
      nextIndexAt = groups + index.every;
    }
    if (used + song.length + 8 > buf.length) {
      await flush();
      if (song.length + 8 > buf.length) buf = Buffer.allocUnsafe(song.length + 8);
    }
    used = buf.writeUInt32LE(song.length, used);
    used += song.copy(buf, used);
    while (cursor.nextDay()) {
      groups++;
      const total = cursor.total;
      const digits = !Number.isNaN(total) ? '' : cursor.bigTotal.toString();
      if (used + 20 + digits.length > buf.length) await flush();
      used = buf.writeInt32LE(cursor.day, used);
      used = buf.writeDoubleLE(total, used);
      if (digits) {
        used = buf.writeUInt32LE(digits.length, used);
        used += buf.write(digits, used, 'latin1');
      }
    }
    if (used + 4 > buf.length) await flush();
    used = buf.writeInt32LE(END_OF_SONG, used);
  }
  if (used > 0) await flush();
  return groups;
}

/** Reads a run file back as a {@link GroupCursor}, with small synchronous reads. */
export class RunFileCursor implements GroupCursor {
  song: Buffer = Buffer.alloc(0);
  day = 0;
  total = 0;
  bigTotal = 0n;
  private fd: number | undefined;
  private buf = Buffer.allocUnsafe(READ_BUFFER);
  private at = 0;
  private end = 0;
  private eof = false;

  constructor(
    private readonly path: string,
    /** Where to start reading: 0, or the offset of a song block (see {@link RunIndexEntry}). */
    private position = 0,
  ) {
    this.fd = openSync(path, 'r');
  }

  nextSong(): boolean {
    if (!this.ensure(4, true)) return false;
    const length = this.buf.readUInt32LE(this.at);
    this.at += 4;
    this.ensure(length, false);
    // Copy: the read buffer is refilled while this song's days are read.
    this.song = Buffer.from(this.buf.subarray(this.at, this.at + length));
    this.at += length;
    return true;
  }

  nextDay(): boolean {
    this.ensure(4, false);
    const day = this.buf.readInt32LE(this.at);
    this.at += 4;
    if (day === END_OF_SONG) return false;
    this.ensure(8, false);
    const total = this.buf.readDoubleLE(this.at);
    this.at += 8;
    this.day = day;
    this.total = total;
    if (Number.isNaN(total)) {
      this.ensure(4, false);
      const length = this.buf.readUInt32LE(this.at);
      this.at += 4;
      this.ensure(length, false);
      this.bigTotal = BigInt(this.buf.toString('latin1', this.at, this.at + length));
      this.at += length;
    }
    return true;
  }

  close(): void {
    if (this.fd === undefined) return;
    closeSync(this.fd);
    this.fd = undefined;
  }

  /** Makes `n` bytes readable at `at`; false only at a clean end of file when `eofAllowed`. */
  private ensure(n: number, eofAllowed: boolean): boolean {
    if (this.end - this.at >= n) return true;
    const remaining = this.end - this.at;
    if (this.buf.length < n) {
      const bigger = Buffer.allocUnsafe(Math.max(n, this.buf.length * 2));
      this.buf.copy(bigger, 0, this.at, this.end);
      this.buf = bigger;
    } else {
      this.buf.copy(this.buf, 0, this.at, this.end);
    }
    this.at = 0;
    this.end = remaining;
    while (this.end < n && !this.eof && this.fd !== undefined) {
      const read = readSync(this.fd, this.buf, this.end, this.buf.length - this.end, this.position);
      if (read === 0) this.eof = true;
      this.position += read;
      this.end += read;
    }
    if (this.end >= n) return true;
    if (eofAllowed && this.end === 0) return false;
    throw new PlaytallyError('INTERNAL', `spill file ${this.path} ended unexpectedly`);
  }
}
