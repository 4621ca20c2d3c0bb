/**
 * Deterministic, realistic song-play CSV for tests and benchmarks: the same options always
 * give the same bytes. Song names are built from word lists and decorated now and then with
 * what real catalogues hold: commas and quotes (so the field must be quoted), accents,
 * Cyrillic and Japanese, and astral characters such as emoji. Songs and days are drawn
 * uniformly, so the number of distinct (song, day) groups is predictable.
 */

/** Options of {@link generatePlays}. */
export interface GeneratePlaysOptions {
  /** Data rows to write. */
  rows: number;
  /** Distinct songs to draw from. */
  songs: number;
  /** Consecutive days to draw from, starting 2020-01-01. */
  days: number;
  /** Seed of the pseudo-random sequence. @default 1 */
  seed?: number;
}

const ADJECTIVES = [
  'Midnight',
  'Golden',
  'Electric',
  'Silent',
  'Broken',
  'Neon',
  'Velvet',
  'Crimson',
  'Wild',
  'Lonely',
  'Summer',
  'Paper',
  'Fading',
  'Burning',
  'Hollow',
  'Distant',
  'Blue',
  'Sweet',
  'Cold',
  'Little',
  'Secret',
  'Endless',
  'Northern',
  'Quiet',
  'Shining',
  'Empty',
  'Crystal',
  'Restless',
  'Sacred',
  'Wicked',
  'Tender',
  'Savage',
];
const NOUNS = [
  'Rain',
  'Heart',
  'City',
  'Dreams',
  'Fire',
  'Road',
  'Sky',
  'Echo',
  'River',
  'Light',
  'Ghost',
  'Ocean',
  'Mirror',
  'Garden',
  'Storm',
  'Diamond',
  'Shadows',
  'Highway',
  'Love',
  'Summer',
  'Thunder',
  'Letters',
  'Moon',
  'Horizon',
  'Waves',
  'Stars',
  'Kingdom',
  'Parade',
  'Lullaby',
  'Machine',
  'Circus',
  'Angel',
];
const FLAVOURS = ['Café', 'Über Alles', 'Señorita', 'Déjà Vu', 'Noël', 'Ñandú', 'Søvn', 'Ça Va'];
const SCRIPTS = ['夜に駆ける', 'Ночь', '사랑', 'Ελπίδα', 'شمس', '青い空'];
const ASTRAL = ['🎵', '🔥', '𝄞', '🌙', '💿'];

/** A small, fast 32-bit PRNG (mulberry32); quality is ample for test data. */
export function createRandom(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) | 0;
    let t = Math.imul(state ^ (state >>> 15), 1 | state);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4_294_967_296;
  };
}

/** `count` distinct song names, decorated deterministically by `random`. */
export function songNames(count: number, random: () => number): string[] {
  const names: string[] = [];
  const seen = new Set<string>();
  const pick = <T>(list: readonly T[]) => list[Math.floor(random() * list.length)]!;
  for (let i = 0; i < count; i++) {
    const adjective = ADJECTIVES[i % ADJECTIVES.length]!;
    const rest = Math.floor(i / ADJECTIVES.length);
    const noun = NOUNS[rest % NOUNS.length]!;
    const volume = Math.floor(rest / NOUNS.length);
    let name = `${adjective} ${noun}${volume > 0 ? ` ${volume + 1}` : ''}`;
    const roll = random();
    if (roll < 0.03) name = `${name}, Pt. 2`;
    else if (roll < 0.05) name = `${name} ("Live")`;
    else if (roll < 0.1) name = `${pick(FLAVOURS)} ${name}`;
    else if (roll < 0.12) name = `${pick(SCRIPTS)} ${name}`;
    else if (roll < 0.13) name = `${name} ${pick(ASTRAL)}`;
    if (seen.has(name)) name = `${name} (${i})`;
    seen.add(name);
    names.push(name);
  }
  return names;
}

/** A name as a CSV field: quoted (quotes doubled) when it holds a comma or a quote. */
function csvField(name: string): Buffer {
  return Buffer.from(/[",\r\n]/.test(name) ? `"${name.replaceAll('"', '""')}"` : name, 'utf8');
}

function dateBytes(days: number): Buffer[] {
  const start = Date.UTC(2020, 0, 1);
  return Array.from({ length: days }, (_, i) =>
    Buffer.from(new Date(start + i * 86_400_000).toISOString().slice(0, 10), 'latin1'),
  );
}

const CHUNK = 1 << 20;

/** Yields the CSV (header first) in chunks of about 1 MiB. */
export function* generatePlays(options: GeneratePlaysOptions): Generator<Buffer> {
  const random = createRandom(options.seed ?? 1);
  const songs = songNames(options.songs, random).map(csvField);
  const dates = dateBytes(options.days);
  let buf = Buffer.allocUnsafe(CHUNK);
  let used = buf.write('Song,Date,Number of Plays\n', 0, 'latin1');
  const digits = new Uint8Array(16);
  for (let row = 0; row < options.rows; row++) {
    if (used + 512 > CHUNK) {
      yield buf.subarray(0, used);
      buf = Buffer.allocUnsafe(CHUNK);
      used = 0;
    }
    const song = songs[Math.floor(random() * songs.length)]!;
    const date = dates[Math.floor(random() * dates.length)]!;
    // Mostly small counts, a long tail of large ones.
    const r = random();
    let plays = 1 + Math.floor(r * r * r * 5000);
    for (let i = 0; i < song.length; i++) buf[used++] = song[i]!;
    buf[used++] = 0x2c;
    for (let i = 0; i < 10; i++) buf[used++] = date[i]!;
    buf[used++] = 0x2c;
    let n = 0;
    while (plays > 0) {
      digits[n++] = 48 + (plays % 10);
      plays = Math.floor(plays / 10);
    }
    while (n > 0) buf[used++] = digits[--n]!;
    buf[used++] = 0x0a;
  }
  yield buf.subarray(0, used);
}
