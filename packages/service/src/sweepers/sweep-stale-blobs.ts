import { readdir, rm, stat } from 'node:fs/promises';
import { join, resolve } from 'node:path';

/** Options of {@link sweepStaleBlobWrites}. */
export interface SweepStaleBlobWritesOptions {
  /**
   * Only temporary files untouched for this long are removed: a write in progress (in this or
   * another process sharing the directory) keeps its file fresh. @default 3600000 (1 hour)
   */
  olderThanMs?: number;
}

/**
 * Removes the temporary files that `createFsBlobStore`'s `put` leaves behind when its process is
 * killed mid-write (`<directory>/<prefix>/.tmp-<uuid>`). Such files are never served; this only
 * reclaims their space. Safe to run while other processes write: recent files are kept.
 * Resolves with the number of files removed.
 *
 * @example
 * ```ts
 * import { sweepStaleBlobWrites } from '@playtally/core';
 * const removed = await sweepStaleBlobWrites('./data/blobs');
 * ```
 */
export async function sweepStaleBlobWrites(
  directory: string,
  options: SweepStaleBlobWritesOptions = {},
): Promise<number> {
  const root = resolve(directory);
  const cutoff = Date.now() - (options.olderThanMs ?? 3_600_000);
  let removed = 0;
  const prefixes = await readdir(root, { withFileTypes: true }).catch(() => []);
  for (const prefix of prefixes) {
    if (!prefix.isDirectory()) continue;
    const folder = join(root, prefix.name);
    for (const name of await readdir(folder).catch(() => [])) {
      if (!name.startsWith('.tmp-')) continue;
      const file = join(folder, name);
      const info = await stat(file).catch(() => undefined);
      if (info === undefined || info.mtimeMs > cutoff) continue;
      await rm(file, { force: true });
      removed += 1;
    }
  }
  return removed;
}
