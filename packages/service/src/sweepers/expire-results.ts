import type { BlobStore } from '../ports/blob-store.js';
import type { JobStore } from '../ports/job-store.js';

/** Options of {@link expireResults}. */
export interface ExpireResultsOptions {
  jobs: JobStore;
  blobs: BlobStore;
  /** Results of jobs that finished longer ago than this are removed. */
  ttlMs: number;
}

/**
 * Removes the results of jobs that succeeded more than `ttlMs` ago: each such job becomes
 * `expired` (its record, statistics and error stay) before its result blob is deleted, so a
 * download never finds a job that points at nothing. Resolves with the number expired.
 *
 * @example
 * ```ts
 * import { expireResults } from '@playtally/service';
 * await expireResults({ jobs, blobs, ttlMs: 7 * 24 * 3600 * 1000 });
 * ```
 */
export async function expireResults(options: ExpireResultsOptions): Promise<number> {
  const { jobs, blobs } = options;
  const before = new Date(Date.now() - options.ttlMs).toISOString();
  let expired = 0;
  for (;;) {
    const due = await jobs.listFinishedBefore(before, 200);
    for (const job of due) {
      const moved = await jobs.transition(job.id, ['succeeded'], {
        status: 'expired',
        resultKey: null,
      });
      if (moved === undefined) continue;
      if (job.resultKey !== null) await blobs.delete(job.resultKey);
      expired += 1;
    }
    if (due.length < 200) return expired;
  }
}
