import { mkdtemp, open, rm } from 'node:fs/promises';
import { join } from 'node:path';
import type { GroupCursor } from './group-cursor.js';
import { MergeCursor } from './merge-cursor.js';
import type { IndexedRun } from './output-slices.js';
import { RunFileCursor, type RunIndexEntry, writeRun } from './run-file.js';

/**
 * The sorted runs of one aggregation, in a private temporary directory (`playtally-XXXXXX`
 * under `tempDir`) created on the first spill. `dispose()` removes the directory with
 * everything in it; the owner calls it on success, failure and abort alike.
 */
export class SpillRuns {
  readonly paths: string[] = [];
  private dir: string | undefined;
  private written = 0;
  private readonly open: GroupCursor[] = [];
  /** Groups and index of each run, by path. */
  private readonly details = new Map<string, { groups: number; index: RunIndexEntry[] }>();

  constructor(
    private readonly tempDir: string,
    private readonly signal: AbortSignal | undefined,
    /** Most runs merged at once; more are first merged in batches into longer runs. */
    private readonly maxFanIn: number,
    /** Groups between entries of each run's index (see `writeRun`). */
    private readonly indexEvery: number,
  ) {}

  get count(): number {
    return this.paths.length;
  }

  /** Writes a sorted run from `cursor`. */
  async write(cursor: GroupCursor): Promise<void> {
    this.dir ??= await mkdtemp(join(this.tempDir, 'playtally-'));
    const path = join(this.dir, `run-${this.written++}.bin`);
    this.paths.push(path);
    const file = await open(path, 'w');
    const index = { entries: [] as RunIndexEntry[], every: this.indexEvery };
    try {
      const groups = await writeRun(cursor, file, this.signal, index);
      this.details.set(path, { groups, index: index.entries });
    } finally {
      await file.close();
    }
  }

  /** The runs with their group counts and indexes (files that `dispose()` will remove). */
  indexed(): IndexedRun[] {
    return this.paths.map((path) => ({ path, ...this.details.get(path)! }));
  }

  /** Merges runs in batches until at most `maxFanIn` remain. */
  async compact(): Promise<void> {
    while (this.paths.length > this.maxFanIn) {
      const batch = this.paths.splice(0, this.maxFanIn);
      const merged = new MergeCursor(batch.map((path) => this.track(new RunFileCursor(path))));
      try {
        await this.write(merged);
      } finally {
        merged.close();
      }
      await Promise.all(batch.map((path) => rm(path, { force: true })));
    }
  }

  /** A cursor per run, closed by `dispose()`. */
  cursors(): GroupCursor[] {
    return this.paths.map((path) => this.track(new RunFileCursor(path)));
  }

  /** Closes the run files and removes the directory. Idempotent. */
  async dispose(): Promise<void> {
    for (const cursor of this.open.splice(0)) cursor.close();
    if (this.dir === undefined) return;
    const dir = this.dir;
    this.dir = undefined;
    await rm(dir, { recursive: true, force: true });
  }

  private track(cursor: RunFileCursor): RunFileCursor {
    this.open.push(cursor);
    return cursor;
  }
}
