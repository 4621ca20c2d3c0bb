/**
 * Interns songs by their UTF-8 bytes: each distinct song gets a small integer id, and its bytes
 * are stored once in an arena. No string is ever created here; the engine compares, sorts and
 * writes songs as bytes (UTF-8 byte order is Unicode code point order).
 *
 * Built for the cache: a song is first packed into 32-bit words (4 bytes at a time), which are
 * hashed; each hash slot holds the hash, the id, the length and the first {@link INLINE_BYTES}
 * bytes, all in one 32-byte line. So looking up a song of up to 20 bytes reads one cache line;
 * only longer songs compare their tail against the arena.
 */

const INITIAL_SONGS = 1024;
const INITIAL_ARENA = 64 * 1024;
/** Int32s per slot: hash, id + 1 (0 = empty), length, then inline words. */
const SLOT_INTS = 8;
const INLINE_WORDS = SLOT_INTS - 3;
const INLINE_BYTES = INLINE_WORDS * 4;

/** The interner described above: song bytes → dense ids. */
export class SongInterner {
  /** Song bytes, back to back. */
  arena: Buffer = Buffer.allocUnsafe(INITIAL_ARENA);
  arenaUsed = 0;
  /** Per song id: `[start, length]` of its bytes in the arena. */
  spans: Int32Array = new Int32Array(INITIAL_SONGS * 2);
  count = 0;
  /** Open addressing (linear probing), {@link SLOT_INTS} per slot, at most half full. */
  private slots: Int32Array = new Int32Array(INITIAL_SONGS * 2 * SLOT_INTS);
  private mask = INITIAL_SONGS * 2 - 1;
  /** The last packed song (see {@link pack}). */
  private words: Int32Array = new Int32Array(64);
  private wordCount = 0;

  /** Songs the arrays hold before they grow. */
  get capacity(): number {
    return this.spans.length / 2;
  }

  /** Bytes held by this interner's arrays. */
  get memoryBytes(): number {
    return (
      this.arena.length + this.spans.length * 4 + this.slots.length * 4 + this.words.length * 4
    );
  }

  /** Bytes the next growth would add on top of {@link memoryBytes}, given a song of `length`. */
  growthBytes(length: number): number {
    let extra = 0;
    if (this.arenaUsed + length > this.arena.length) {
      extra += Math.max(this.arena.length * 2, this.arenaUsed + length);
    }
    if (this.count === this.capacity) extra += (this.spans.length + this.slots.length) * 2 * 4;
    return extra;
  }

  /** Packs `buf[start, end)` into words for {@link find} and {@link add}; returns its hash. */
  pack(buf: Uint8Array, start: number, end: number): number {
    const needed = ((end - start + 3) >> 2) + 1;
    if (this.words.length < needed) this.words = new Int32Array(needed * 2);
    const words = this.words;
    let h = Math.imul(end - start, 0x9e3779b1);
    let k = 0;
    let i = start;
    for (; i + 4 <= end; i += 4) {
      const word = buf[i]! | (buf[i + 1]! << 8) | (buf[i + 2]! << 16) | (buf[i + 3]! << 24);
      words[k++] = word;
      h = Math.imul(h ^ word, 0x85ebca6b);
      h ^= h >>> 15;
    }
    if (i < end) {
      let word = 0;
      for (let shift = 0; i < end; i++, shift += 8) word |= buf[i]! << shift;
      words[k++] = word;
      h = Math.imul(h ^ word, 0x85ebca6b);
      h ^= h >>> 15;
    }
    this.wordCount = k;
    return Math.imul(h ^ (h >>> 13), 0xc2b2ae35) ^ (h >>> 16);
  }

  /** The id of the packed song `buf[start, end)` with hash `hash`, or -1 when it is new. */
  find(buf: Uint8Array, start: number, end: number, hash: number): number {
    const length = end - start;
    const slots = this.slots;
    const words = this.words;
    const inline = Math.min(this.wordCount, INLINE_WORDS);
    const mask = this.mask;
    let slot = hash & mask;
    for (;;) {
      const at = slot * SLOT_INTS;
      const stored = slots[at + 1]!;
      if (stored === 0) return -1;
      if (slots[at] === hash && slots[at + 2] === length) {
        let w = 0;
        while (w < inline && slots[at + 3 + w] === words[w]) w++;
        if (
          w === inline &&
          (length <= INLINE_BYTES || this.tailEquals(stored - 1, buf, start, end))
        ) {
          return stored - 1;
        }
      }
      slot = (slot + 1) & mask;
    }
  }

  /** Adds the packed song `buf[start, end)`, known to be absent; returns its id. */
  add(buf: Uint8Array, start: number, end: number, hash: number): number {
    const length = end - start;
    if (this.count === this.capacity) this.growSongs();
    if (this.arenaUsed + length > this.arena.length) this.growArena(length);
    const id = this.count++;
    this.arena.set(buf.subarray(start, end), this.arenaUsed);
    this.spans[2 * id] = this.arenaUsed;
    this.spans[2 * id + 1] = length;
    this.arenaUsed += length;
    this.insertSlot(id, hash);
    return id;
  }

  /** Where the song's bytes start in {@link arena}. */
  startOf(id: number): number {
    return this.spans[2 * id]!;
  }

  /** How many bytes the song has. */
  lengthOf(id: number): number {
    return this.spans[2 * id + 1]!;
  }

  /** The bytes of a song (a view into the arena, valid until the next `add` or `reset`). */
  bytesOf(id: number): Buffer {
    const start = this.spans[2 * id]!;
    return this.arena.subarray(start, start + this.spans[2 * id + 1]!);
  }

  /** Forgets every song; keeps the allocated arrays. */
  reset(): void {
    this.count = 0;
    this.arenaUsed = 0;
    this.slots.fill(0);
  }

  private tailEquals(id: number, buf: Uint8Array, start: number, end: number): boolean {
    const arena = this.arena;
    let a = this.spans[2 * id]! + INLINE_BYTES;
    for (let b = start + INLINE_BYTES; b < end; a++, b++) if (arena[a] !== buf[b]) return false;
    return true;
  }

  /** Inserts the last packed song's slot. */
  private insertSlot(id: number, hash: number): void {
    const slots = this.slots;
    let slot = hash & this.mask;
    while (slots[slot * SLOT_INTS + 1] !== 0) slot = (slot + 1) & this.mask;
    const at = slot * SLOT_INTS;
    slots[at] = hash;
    slots[at + 1] = id + 1;
    slots[at + 2] = this.spans[2 * id + 1]!;
    for (let w = 0; w < INLINE_WORDS; w++)
      slots[at + 3 + w] = w < this.wordCount ? this.words[w]! : 0;
  }

  private growSongs(): void {
    const spans = new Int32Array(this.spans.length * 2);
    spans.set(this.spans);
    this.spans = spans;
    this.slots = new Int32Array(this.slots.length * 2);
    this.mask = this.slots.length / SLOT_INTS - 1;
    // Repacking overwrites the caller's packed song: save and restore it.
    const saved = this.words.slice(0, this.wordCount);
    const savedCount = this.wordCount;
    for (let id = 0; id < this.count; id++) {
      const start = this.startOf(id);
      const hash = this.pack(this.arena, start, start + this.lengthOf(id));
      this.insertSlot(id, hash);
    }
    this.words.set(saved);
    this.wordCount = savedCount;
  }

  private growArena(length: number): void {
    const arena = Buffer.allocUnsafe(Math.max(this.arena.length * 2, this.arenaUsed + length));
    this.arena.copy(arena, 0, 0, this.arenaUsed);
    this.arena = arena;
  }
}
