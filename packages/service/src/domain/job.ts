import type { AggregateStatistics, InvalidRowPolicy } from '@playtally/core';
import type { JobPartCounts, NewJobPart } from './job-part.js';

/**
 * A job's life: queued → processing → succeeded | failed | cancelled; a succeeded job becomes
 * `expired` once its result is removed after the result time-to-live.
 */
export type JobStatus = 'queued' | 'processing' | 'succeeded' | 'failed' | 'cancelled' | 'expired';

/** Every status, in life order. */
export const JOB_STATUSES: readonly JobStatus[] = [
  'queued',
  'processing',
  'succeeded',
  'failed',
  'cancelled',
  'expired',
];

/** Statuses a job never leaves (but `succeeded`, which expires). */
export const FINAL_JOB_STATUSES: readonly JobStatus[] = [
  'succeeded',
  'failed',
  'cancelled',
  'expired',
];

/** True when the job can no longer change. */
export function isFinalJobStatus(status: JobStatus): boolean {
  return FINAL_JOB_STATUSES.includes(status);
}

/** How far a processing job has got. */
export interface JobProgress {
  readonly bytesRead: number;
  /** Size of the upload, so `bytesRead / totalBytes` is the fraction done. */
  readonly totalBytes: number;
  readonly rowsRead: number;
}

/** Why a job failed, as the engine or worker said it. */
export interface JobError {
  readonly code: string;
  readonly message: string;
}

/** One CSV aggregation task. */
export interface Job {
  readonly id: string;
  readonly status: JobStatus;
  /** The client's file name, for display only: it never names a path. */
  readonly filename: string;
  /** Blob key of the upload (system-generated). */
  readonly inputKey: string;
  /** Blob key of the result once succeeded. */
  readonly resultKey: string | null;
  readonly sizeBytes: number;
  readonly onInvalid: InvalidRowPolicy;
  readonly progress: JobProgress;
  /** Times a worker has started it. */
  readonly attempts: number;
  readonly error: JobError | null;
  readonly statistics: AggregateStatistics | null;
  /** A split job's parts: how many, done and running; `null` when the job runs in one piece. */
  readonly parts: JobPartCounts | null;
  readonly createdAt: string;
  readonly updatedAt: string;
  readonly startedAt: string | null;
  readonly finishedAt: string | null;
}

/** What creating a job needs. */
export interface NewJob {
  readonly id: string;
  readonly filename: string;
  readonly inputKey: string;
  readonly sizeBytes: number;
  readonly onInvalid: InvalidRowPolicy;
  /** The byte ranges of a split job, in upload order; none (or absent) runs it in one piece. */
  readonly parts?: readonly NewJobPart[];
}

/** Fields a transition may set. */
export type JobPatch = Partial<
  Pick<
    Job,
    | 'status'
    | 'resultKey'
    | 'progress'
    | 'attempts'
    | 'error'
    | 'statistics'
    | 'startedAt'
    | 'finishedAt'
  >
>;

/**
 * A worker's exclusive, time-limited right to run a job. `token` is a fencing token: it grows by
 * one each time another owner takes the lease, and writes made under a lease are refused once a
 * newer token exists, so a run that lost its lease (paused, cut off) can never commit.
 */
export interface JobLease {
  readonly jobId: string;
  /** Who holds it: a worker instance id. */
  readonly owner: string;
  readonly token: number;
  /** ISO 8601; past it another worker may take the lease. */
  readonly expiresAt: string;
}

/** Which jobs the reconciler looks at: see {@link JobStore.listStale}. */
export interface StaleJobQuery {
  /** Jobs not updated since this instant (ISO 8601). */
  readonly updatedBefore: string;
  /** Processing jobs count only when their lease expired before this instant (ISO 8601). */
  readonly leaseExpiredBefore: string;
}
