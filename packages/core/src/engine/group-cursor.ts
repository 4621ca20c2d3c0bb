/**
 * A sorted stream of groups, read song by song: songs ascend in UTF-8 byte order (which is
 * Unicode code point order), and within a song the days ascend. The in-memory table, a spilled
 * run on disk and a k-way merge of both all read through this one shape, so the CSV writer,
 * the run writer and `aggregateTotals` never care where groups come from.
 *
 * Fields are plain (not getters) and are overwritten by each step: callers copy what they keep.
 */
export interface GroupCursor {
  /** Moves to the next song; false once there is none. */
  nextSong(): boolean;
  /** Moves to the next day of the current song; false once the song has no more days. */
  nextDay(): boolean;
  /** The current song's UTF-8 bytes; valid until the next `nextSong()`. */
  song: Buffer;
  /** The current day number (see `calendar.ts`). */
  day: number;
  /** The current total: an exact double, or NaN when it is past 2^53 - 1 and `bigTotal` holds it. */
  total: number;
  /** The exact total when `total` is NaN; meaningless otherwise. */
  bigTotal: bigint;
  /** Releases what the cursor holds open (files). Idempotent. */
  close(): void;
}

/** Compares songs by their UTF-8 bytes (code point order). */
export function compareSongBytes(a: Uint8Array, b: Uint8Array): number {
  return Buffer.compare(a, b);
}
