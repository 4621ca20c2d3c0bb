import { describe, expect, it } from 'vitest';
import { SongInterner } from './song-interner.js';

function intern(songs: SongInterner, text: string): number {
  const bytes = Buffer.from(text);
  const hash = songs.pack(bytes, 0, bytes.length);
  const found = songs.find(bytes, 0, bytes.length, hash);
  return found >= 0 ? found : songs.add(bytes, 0, bytes.length, hash);
}

describe('SongInterner', () => {
  it('gives each distinct song one id, across growth, for short and long songs sharing prefixes', () => {
    const songs = new SongInterner();
    const names = Array.from(
      { length: 5000 },
      (_, i) => `${'Long common prefix '.repeat(i % 4)}${i % 7 === 0 ? '😀' : ''}${i}`,
    );
    const ids = names.map((name) => intern(songs, name));
    expect(new Set(ids).size).toBe(names.length);
    expect(songs.count).toBe(names.length);
    names.forEach((name, i) => {
      expect(intern(songs, name)).toBe(ids[i]);
      expect(songs.bytesOf(ids[i]!).toString()).toBe(name);
    });
  });

  it('tells apart songs that differ only after the inline bytes, or only in length', () => {
    const songs = new SongInterner();
    const base = 'x'.repeat(40);
    const ids = [base, `${base}a`, `${base}b`, base.slice(0, 20), base.slice(0, 21), ''].map(
      (name) => intern(songs, name),
    );
    expect(new Set(ids).size).toBe(6);
    expect(intern(songs, `${base}b`)).toBe(ids[2]);
  });

  it('forgets everything on reset', () => {
    const songs = new SongInterner();
    intern(songs, 'Umbrella');
    songs.reset();
    const bytes = Buffer.from('Umbrella');
    expect(songs.find(bytes, 0, bytes.length, songs.pack(bytes, 0, bytes.length))).toBe(-1);
  });
});
