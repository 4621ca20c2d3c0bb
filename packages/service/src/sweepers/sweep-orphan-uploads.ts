import { readdir, rm, stat } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import type { JobStore } from '../ports/job-store.js';

/** Options of {@link sweepOrphanUploads}. */
export interface SweepOrphanUploadsOptions {
  /** Root directory of the filesystem blob store. */
  directory: string;
  jobs: JobStore;
  /**
   * Only uploads untouched for this long are considered: an upload being recorded as a job
   * right now is never taken for an orphan. @default 3600000 (1 hour)
   */
  graceMs?: number;
}

/**
 * Removes stored uploads (`<directory>/uploads/<uuid>`) that no job references: an API process
 * killed between storing an upload and recording its job leaves one behind. Resolves with the
 * number removed.
 *
 * @example
 * ```ts
 * import { sweepOrphanUploads } from '@playtally/service';
 * await sweepOrphanUploads({ directory: './data/blobs', jobs });
 * ```
 */
export async function sweepOrphanUploads(options: SweepOrphanUploadsOptions): Promise<number> {
  const folder = join(resolve(options.directory), 'uploads');
  const cutoff = Date.now() - (options.graceMs ?? 3_600_000);
  let removed = 0;
  for (const name of await readdir(folder).catch(() => [] as string[])) {
    if (name.startsWith('.')) continue;
    const file = join(folder, name);
    const info = await stat(file).catch(() => undefined);
    if (info === undefined || !info.isFile() || info.mtimeMs > cutoff) continue;
    if ((await options.jobs.findByInputKey(`uploads/${name}`)) !== undefined) continue;
    await rm(file, { force: true });
    removed += 1;
  }
  return removed;
}
