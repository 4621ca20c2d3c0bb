import type { AggregateStatistics, InvalidRowPolicy } from '@playtally/core';

/** A job's life: queued → processing → succeeded | failed | cancelled. */
export type JobStatus = 'queued' | 'processing' | 'succeeded' | 'failed' | 'cancelled';

/** Statuses a job never leaves. */
export const FINAL_JOB_STATUSES: readonly JobStatus[] = ['succeeded', 'failed', 'cancelled'];

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
