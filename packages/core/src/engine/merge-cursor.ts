import { compareSongBytes, type GroupCursor } from './group-cursor.js';
import { MinHeap } from './min-heap.js';

/**
 * The k-way merge of sorted cursors (spilled runs and the in-memory table): a min-heap keyed
 * by song bytes picks the next song; the cursors positioned on that song are then merged by
 * day, and equal (song, day) groups are summed, exactly (BigInt once a sum passes 2^53 - 1).
 */
export class MergeCursor implements GroupCursor {
  song: Buffer = Buffer.alloc(0);
  day = 0;
  total = 0;
  bigTotal = 0n;
  private readonly heap = new MinHeap<GroupCursor>((a, b) => compareSongBytes(a.song, b.song));
  /** The cursors on the current song, and whether each still has a day pending. */
  private readonly current: GroupCursor[] = [];
  private readonly pending: boolean[] = [];

  constructor(private readonly cursors: readonly GroupCursor[]) {
    for (const cursor of cursors) if (cursor.nextSong()) this.heap.push(cursor);
  }

  nextSong(): boolean {
    for (const cursor of this.current) if (cursor.nextSong()) this.heap.push(cursor);
    this.current.length = 0;
    this.pending.length = 0;
    const first = this.heap.pop();
    if (first === undefined) return false;
    this.song = first.song;
    this.current.push(first);
    while (this.heap.size > 0 && compareSongBytes(this.heap.peek()!.song, first.song) === 0) {
      this.current.push(this.heap.pop()!);
    }
    for (const cursor of this.current) this.pending.push(cursor.nextDay());
    return true;
  }

  nextDay(): boolean {
    const current = this.current;
    let day = Number.POSITIVE_INFINITY;
    for (let i = 0; i < current.length; i++) {
      if (this.pending[i] && current[i]!.day < day) day = current[i]!.day;
    }
    if (day === Number.POSITIVE_INFINITY) return false;
    let total = 0;
    let bigTotal = 0n;
    let big = false;
    for (let i = 0; i < current.length; i++) {
      const cursor = current[i]!;
      if (!this.pending[i] || cursor.day !== day) continue;
      const sum = total + cursor.total;
      if (!big && sum <= Number.MAX_SAFE_INTEGER) {
        total = sum;
      } else {
        if (!big) bigTotal = BigInt(total);
        big = true;
        bigTotal += !Number.isNaN(cursor.total) ? BigInt(cursor.total) : cursor.bigTotal;
      }
      this.pending[i] = cursor.nextDay();
    }
    this.day = day;
    this.total = big ? Number.NaN : total;
    this.bigTotal = bigTotal;
    return true;
  }

  close(): void {
    for (const cursor of this.cursors) cursor.close();
  }
}
