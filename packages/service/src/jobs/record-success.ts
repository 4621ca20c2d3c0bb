import type { AggregateStatistics } from '@playtally/core';
import type { Job, JobLease } from '../domain/job.js';
import type { JobStore } from '../ports/job-store.js';

/** What a run that produced a result records. */
export interface RunResult {
  readonly resultKey: string;
  readonly statistics: AggregateStatistics;
}

/**
 * Records `job` succeeded with its result, under the run's lease (read at each try, as it is
 * renewed), through `stored` (which holds the call while the database is away). Resolves with
 * the succeeded job, or `undefined` when the job was cancelled or taken over by another run
 * meanwhile: the caller then discards the result.
 */
export async function recordSucceeded(
  jobs: JobStore,
  stored: <T>(operation: () => Promise<T>) => Promise<T>,
  job: Job,
  { resultKey, statistics }: RunResult,
  lease: () => JobLease,
): Promise<Job | undefined> {
  const patch = {
    status: 'succeeded',
    resultKey,
    statistics,
    progress: {
      bytesRead: statistics.bytesRead,
      totalBytes: job.sizeBytes,
      rowsRead: statistics.rowsRead,
    },
    finishedAt: new Date().toISOString(),
  } as const;
  const succeeded = await stored(() =>
    jobs.transition(job.id, ['processing'], patch, { lease: lease() }),
  );
  if (succeeded) return succeeded;
  // A retried commit after a lost connection may find its own first try already applied.
  const current = await stored(() => jobs.get(job.id));
  return current?.status === 'succeeded' && current.resultKey === resultKey ? current : undefined;
}
