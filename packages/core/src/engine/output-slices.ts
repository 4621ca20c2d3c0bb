import { createWriteStream } from 'node:fs';
import { open } from 'node:fs/promises';
import { abortable, checkAborted } from './abort.js';
import { writeCsv } from './csv-output.js';
import { compareSongBytes, type GroupCursor } from './group-cursor.js';
import { MergeCursor } from './merge-cursor.js';
import { RunFileCursor, type RunIndexEntry } from './run-file.js';
import type { SinkWriter } from './sink-writer.js';
import { createSinkWriter } from './sink-writer.js';

/*
 * The merge of partial runs, partitioned by song so that threads can share it: the output is
 * cut into slices of consecutive songs; each slice merges the part of every run that holds its
 * songs (found through the runs' indexes) and writes its rows; the slices, concatenated in order,
 * are the output. Equal songs never straddle two slices, so nothing needs summing across them.
 */

/** A sorted partial run, with the index written alongside it. */
export interface IndexedRun {
  readonly path: string;
  readonly groups: number;
  readonly index: readonly RunIndexEntry[];
}

/** One slice of the output: the songs in `[from, to)` (`null`: unbounded) of every run. */
export interface OutputSlice {
  readonly sources: readonly { readonly path: string; readonly offset: number }[];
  readonly from: Uint8Array | null;
  readonly to: Uint8Array | null;
}

/**
 * Cuts the songs of `runs` into at most `count` slices of about the same number of groups,
 * at songs sampled by the runs' indexes.
 */
export function planOutputSlices(runs: readonly IndexedRun[], count: number): OutputSlice[] {
  const total = runs.reduce((sum, run) => sum + run.groups, 0);
  const samples = runs.flatMap((run) =>
    run.index.map((entry, i) => ({
      song: entry.song,
      weight: (run.index[i + 1]?.groupsBefore ?? run.groups) - entry.groupsBefore,
    })),
  );
  samples.sort((a, b) => compareSongBytes(a.song, b.song));
  const cuts: Uint8Array[] = [];
  let seen = 0;
  for (const sample of samples) {
    if (cuts.length + 1 >= count) break;
    const last = cuts[cuts.length - 1];
    if (seen >= (total * (cuts.length + 1)) / count && seen > 0) {
      if (last === undefined || compareSongBytes(last, sample.song) < 0) cuts.push(sample.song);
    }
    seen += sample.weight;
  }
  const bounds = [null, ...cuts, null];
  return bounds.slice(0, -1).map((from, k) => ({
    from,
    to: bounds[k + 1] ?? null,
    sources: runs.map((run) => ({ path: run.path, offset: startOffset(run.index, from) })),
  }));
}

/** Offset of the last indexed song block at or before `from`, where reading for `from` starts. */
function startOffset(index: readonly RunIndexEntry[], from: Uint8Array | null): number {
  let offset = 0;
  if (from === null) return offset;
  for (const entry of index) {
    if (compareSongBytes(entry.song, from) > 0) break;
    offset = entry.offset;
  }
  return offset;
}

/** Writes one slice's rows (no header) to `outPath`; resolves to the number of rows. */
export async function writeOutputSlice(
  slice: OutputSlice,
  outPath: string,
  signal: AbortSignal | undefined,
): Promise<number> {
  const out = createWriteStream(outPath, { highWaterMark: 1 << 20 });
  const writer = createSinkWriter(out);
  try {
    const rows = await writeSlice(slice, writer, signal, false);
    await writer.end();
    return rows;
  } catch (error) {
    writer.release();
    out.destroy();
    throw error;
  }
}

/** Writes one slice's rows to `writer` (not ended), after the output header if `header`. */
export async function writeSlice(
  slice: OutputSlice,
  writer: SinkWriter,
  signal: AbortSignal | undefined,
  header = true,
): Promise<number> {
  const cursors = slice.sources.map(
    (source) => new SongRangeCursor(new RunFileCursor(source.path, source.offset), slice),
  );
  const merged = new MergeCursor(cursors);
  try {
    return await writeCsv(merged, writer, signal, header);
  } finally {
    merged.close();
  }
}

/** Appends the files' bytes, in order, to `writer`. */
export async function appendFiles(
  paths: readonly string[],
  writer: SinkWriter,
  signal: AbortSignal | undefined,
): Promise<void> {
  for (const path of paths) {
    const file = await open(path, 'r');
    try {
      for (;;) {
        checkAborted(signal);
        const chunk = Buffer.allocUnsafe(1 << 20);
        const { bytesRead } = await file.read(chunk, 0, chunk.length, null);
        if (bytesRead === 0) break;
        await abortable(writer.write(chunk.subarray(0, bytesRead)), signal);
      }
    } finally {
      await file.close();
    }
  }
}

/** The songs of a run in `[from, to)`: earlier ones are skipped, the first later one ends it. */
class SongRangeCursor implements GroupCursor {
  song: Buffer = Buffer.alloc(0);
  day = 0;
  total = 0;
  bigTotal = 0n;
  private done = false;

  constructor(
    private readonly inner: RunFileCursor,
    private readonly range: { readonly from: Uint8Array | null; readonly to: Uint8Array | null },
  ) {}

  nextSong(): boolean {
    const { from, to } = this.range;
    while (!this.done && this.inner.nextSong()) {
      const song = this.inner.song;
      if (to !== null && compareSongBytes(song, to) >= 0) break;
      if (from !== null && compareSongBytes(song, from) < 0) {
        while (this.inner.nextDay()) {}
        continue;
      }
      this.song = song;
      return true;
    }
    this.done = true;
    return false;
  }

  nextDay(): boolean {
    if (!this.inner.nextDay()) return false;
    this.day = this.inner.day;
    this.total = this.inner.total;
    this.bigTotal = this.inner.bigTotal;
    return true;
  }

  close(): void {
    this.inner.close();
  }
}
