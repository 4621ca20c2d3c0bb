/**
 * The table of groups: (song id, day number) → running total, in one open-addressing hash
 * table (linear probing) over a single Float64Array of [key, total] pairs, so a lookup touches
 * one cache line. The key packs the song id and the day number into one exact double
 * (`songId * 2^22 + day`). Totals are doubles while they stay at or below 2^53 - 1 (exact);
 * a total that would pass it is promoted: its slot holds NaN and the exact BigInt lives in a
 * side map. NaN also poisons any further `+`, so the fast path needs a single comparison.
 */

/** Song ids are multiplied by this to make room for a day number (< 2^22) in a key. */
export const DAY_SPAN = 4_194_304;
const EMPTY = -1;
const INITIAL_SLOTS = 1024;
/** Rows queued before they are added together (see {@link GroupTable.queue}). */
const BATCH = 32;
/** Grow (or spill) once this fraction of slots is used. */
const MAX_LOAD = 0.75;

/** The (song id, day) → total table described above. */
export class GroupTable {
  /** `[key, total]` per slot; key -1 marks an empty slot. */
  pairs = new Float64Array(INITIAL_SLOTS * 2).fill(EMPTY);
  /** Groups stored. */
  size = 0;
  /** `size` at which the owner must grow the table or spill it. */
  limit = INITIAL_SLOTS * MAX_LOAD;
  /** Exact totals of the groups whose slot holds NaN, by key. */
  readonly big = new Map<number, bigint>();
  private mask = INITIAL_SLOTS * 2 - 1;
  private readonly queuedSongs = new Int32Array(BATCH);
  private readonly queuedDays = new Int32Array(BATCH);
  private readonly queuedPlays = new Float64Array(BATCH);
  private readonly queuedBig: bigint[] = new Array<bigint>(BATCH).fill(0n);
  private readonly queuedSlots = new Int32Array(BATCH);
  private queued = 0;
  /** Sum of the prefetched keys: stored so the JIT cannot drop the loads as dead code. */
  prefetched = 0;

  /** True when no group is stored or queued. */
  get isEmpty(): boolean {
    return this.size === 0 && this.queued === 0;
  }

  /** Bytes held by the table's array. */
  get memoryBytes(): number {
    return this.pairs.length * 8;
  }

  /**
   * Queues `plays` for the group (song, day); `plays` is an exact double, or NaN when the value
   * itself is past 2^53 - 1, in which case `bigPlays` carries it. Returns true when the queue
   * is full: the caller then calls {@link flush}, and checks {@link limit}. Queued rows are not
   * in {@link size} or the table until flushed.
   */
  queue(songId: number, day: number, plays: number, bigPlays: bigint): boolean {
    const n = this.queued++;
    this.queuedSongs[n] = songId;
    this.queuedDays[n] = day;
    this.queuedPlays[n] = plays;
    if (Number.isNaN(plays)) this.queuedBig[n] = bigPlays;
    return this.queued === BATCH;
  }

  /**
   * Adds the queued rows. On a table larger than the caches each row's lookup is a miss to
   * memory; touching all their slots first, in a loop of independent loads, lets the CPU wait
   * for those misses in parallel instead of one after the other.
   */
  flush(): void {
    const n = this.queued;
    const pairs = this.pairs;
    const mask = this.mask;
    let touched = 0;
    for (let q = 0; q < n; q++) {
      const i = slotOf(this.queuedSongs[q]!, this.queuedDays[q]!, mask);
      this.queuedSlots[q] = i;
      touched += pairs[i]!;
    }
    this.prefetched = touched;
    for (let q = 0; q < n; q++) {
      this.addAt(
        this.queuedSlots[q]!,
        this.queuedSongs[q]!,
        this.queuedDays[q]!,
        this.queuedPlays[q]!,
        this.queuedBig[q]!,
      );
    }
    this.queued = 0;
  }

  /** Adds one row at once (see {@link queue}). */
  add(songId: number, day: number, plays: number, bigPlays: bigint): void {
    this.addAt(slotOf(songId, day, this.mask), songId, day, plays, bigPlays);
  }

  private addAt(start: number, songId: number, day: number, plays: number, bigPlays: bigint): void {
    const key = songId * DAY_SPAN + day;
    const pairs = this.pairs;
    const mask = this.mask;
    let i = start;
    for (;;) {
      const k = pairs[i]!;
      if (k === key) {
        const total = pairs[i + 1]! + plays;
        if (total <= Number.MAX_SAFE_INTEGER) pairs[i + 1] = total;
        else this.promote(i, key, plays, bigPlays);
        return;
      }
      if (k === EMPTY) {
        pairs[i] = key;
        pairs[i + 1] = plays;
        if (Number.isNaN(plays)) this.big.set(key, bigPlays);
        this.size++;
        return;
      }
      i = (i + 2) & mask;
    }
  }

  /** Doubles the number of slots and reinserts every group. */
  grow(): void {
    this.flush();
    const old = this.pairs;
    const slots = old.length;
    this.pairs = new Float64Array(slots * 2).fill(EMPTY);
    this.mask = slots * 2 - 1;
    this.limit = slots * MAX_LOAD;
    const pairs = this.pairs;
    const mask = this.mask;
    for (let j = 0; j < old.length; j += 2) {
      const key = old[j]!;
      if (key === EMPTY) continue;
      const songId = Math.floor(key / DAY_SPAN);
      let i = slotOf(songId, key - songId * DAY_SPAN, mask);
      while (pairs[i] !== EMPTY) i = (i + 2) & mask;
      pairs[i] = key;
      pairs[i + 1] = old[j + 1]!;
    }
  }

  /** Removes every group (queued ones too); keeps the allocated array. */
  reset(): void {
    this.queued = 0;
    this.pairs.fill(EMPTY);
    this.size = 0;
    this.big.clear();
  }

  private promote(i: number, key: number, plays: number, bigPlays: bigint): void {
    const current = this.pairs[i + 1]!;
    const exact = !Number.isNaN(current) ? BigInt(current) : this.big.get(key)!;
    this.big.set(key, exact + (!Number.isNaN(plays) ? BigInt(plays) : bigPlays));
    this.pairs[i + 1] = Number.NaN;
  }
}

/** Index in `pairs` of the home slot of (song, day). */
function slotOf(songId: number, day: number, mask: number): number {
  let h = Math.imul(songId, 0x9e3779b1) ^ day;
  h = Math.imul(h ^ (h >>> 16), 0x85ebca6b);
  return ((h ^ (h >>> 13)) << 1) & mask;
}
