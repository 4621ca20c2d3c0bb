import { PlaytallyError } from '../errors.js';
import type { GroupCursor } from './group-cursor.js';
import { DAY_SPAN, type GroupTable } from './group-table.js';
import type { SongInterner } from './song-interner.js';

/** Bytes per song that sorting needs (four int32 arrays); it needs nothing per group. */
export const SORT_BYTES_PER_SONG = 16;

/** Song ids ordered by their bytes. */
function songsInByteOrder(songs: SongInterner): Int32Array {
  const arena = songs.arena;
  const spans = songs.spans;
  const order = new Int32Array(songs.count);
  for (let i = 0; i < order.length; i++) order[i] = i;
  return order.sort((a, b) => {
    let i = spans[2 * a]!;
    let j = spans[2 * b]!;
    const lengthA = spans[2 * a + 1]!;
    const lengthB = spans[2 * b + 1]!;
    for (const end = i + Math.min(lengthA, lengthB); i < end; i++, j++) {
      const d = arena[i]! - arena[j]!;
      if (d !== 0) return d;
    }
    return lengthA - lengthB;
  });
}

/**
 * Puts the table's groups in output order without memory per group beyond the table itself:
 * the `[key, total]` pairs are compacted to the front of the table's array, and the free tail
 * of that same array (at most 75% of the slots are used, and an index takes a quarter of a
 * slot) holds a permutation, grouped by song rank with a counting sort. Each song's few
 * indexes are sorted by day only when the cursor reaches that song, while its pairs are still
 * in cache from the sort. Afterwards the table is no longer a hash table: the owner resets it
 * once the cursor is done. The cursor reads promoted totals from the table's side map.
 */
export function sortTable(table: GroupTable, songs: SongInterner): GroupCursor {
  table.flush();
  const order = songsInByteOrder(songs);
  const songCount = order.length;
  const rankOf = new Int32Array(songCount);
  for (let r = 0; r < songCount; r++) rankOf[order[r]!] = r;

  const pairs = table.pairs;
  const bucketStart = new Int32Array(songCount + 1);
  let n = 0;
  for (let i = 0; i < pairs.length; i += 2) {
    const key = pairs[i]!;
    if (key < 0) continue;
    pairs[2 * n] = key;
    pairs[2 * n + 1] = pairs[i + 1]!;
    bucketStart[rankOf[Math.floor(key / DAY_SPAN)]! + 1]!++;
    n++;
  }
  for (let r = 0; r < songCount; r++) bucketStart[r + 1]! += bucketStart[r]!;

  if (n * 20 > pairs.byteLength)
    throw new PlaytallyError('INTERNAL', 'the group table is too full to sort in place');
  const permutation = new Int32Array(pairs.buffer, pairs.byteOffset + n * 16, n);
  const next = bucketStart.slice(0, songCount);
  for (let k = 0; k < n; k++)
    permutation[next[rankOf[Math.floor(pairs[2 * k]! / DAY_SPAN)]!]!++] = k;
  return new SortedTableCursor(table, songs, order, bucketStart, pairs, permutation);
}

/** Sorts `permutation[lo..hi]` (inclusive) by the keys it points at: quicksort, then insertion sort. */
function sortByKey(permutation: Int32Array, pairs: Float64Array, lo: number, hi: number): void {
  while (hi - lo > 16) {
    const mid = (lo + hi) >>> 1;
    const a = pairs[2 * permutation[lo]!]!;
    const b = pairs[2 * permutation[mid]!]!;
    const c = pairs[2 * permutation[hi]!]!;
    const pivot = Math.max(Math.min(a, b), Math.min(Math.max(a, b), c));
    let i = lo;
    let j = hi;
    while (i <= j) {
      while (pairs[2 * permutation[i]!]! < pivot) i++;
      while (pairs[2 * permutation[j]!]! > pivot) j--;
      if (i <= j) {
        const swap = permutation[i]!;
        permutation[i++] = permutation[j]!;
        permutation[j--] = swap;
      }
    }
    // Recurse into the smaller side, loop over the larger: the stack stays shallow.
    if (j - lo < hi - i) {
      sortByKey(permutation, pairs, lo, j);
      lo = i;
    } else {
      sortByKey(permutation, pairs, i, hi);
      hi = j;
    }
  }
  for (let i = lo + 1; i <= hi; i++) {
    const index = permutation[i]!;
    const key = pairs[2 * index]!;
    let j = i - 1;
    while (j >= lo && pairs[2 * permutation[j]!]! > key) {
      permutation[j + 1] = permutation[j]!;
      j--;
    }
    permutation[j + 1] = index;
  }
}

class SortedTableCursor implements GroupCursor {
  song: Buffer = Buffer.alloc(0);
  day = 0;
  total = 0;
  bigTotal = 0n;
  private rank = -1;
  private songId = 0;
  private at = 0;
  private end = 0;

  constructor(
    private readonly table: GroupTable,
    private readonly songs: SongInterner,
    private readonly order: Int32Array,
    private readonly bucketStart: Int32Array,
    private readonly pairs: Float64Array,
    private readonly permutation: Int32Array,
  ) {}

  nextSong(): boolean {
    if (++this.rank >= this.order.length) return false;
    this.songId = this.order[this.rank]!;
    this.song = this.songs.bytesOf(this.songId);
    this.at = this.bucketStart[this.rank]!;
    this.end = this.bucketStart[this.rank + 1]!;
    // One song's keys differ only in the day: sorting by key sorts by day.
    sortByKey(this.permutation, this.pairs, this.at, this.end - 1);
    return true;
  }

  nextDay(): boolean {
    if (this.at >= this.end) return false;
    const index = this.permutation[this.at++]!;
    const key = this.pairs[2 * index]!;
    const total = this.pairs[2 * index + 1]!;
    this.day = key - this.songId * DAY_SPAN;
    this.total = total;
    if (Number.isNaN(total)) this.bigTotal = this.table.big.get(key)!;
    return true;
  }

  close(): void {}
}
