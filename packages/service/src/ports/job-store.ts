import type { Job, JobPatch, JobStatus, NewJob } from '../domain/job.js';
import type { Page, PageRequest } from '../domain/page.js';

/**
 * Persists jobs. Implementations: `createMemoryJobStore()` here, SQLite and PostgreSQL in
 * `@playtally/store-sql`; all pass `describeJobStoreContract` from `@playtally/service/testing`.
 *
 * All methods are safe to call concurrently. Timestamps are ISO 8601 strings set by the store
 * (`createdAt` on create, `updatedAt` on every write).
 */
export interface JobStore {
  /** Inserts a `queued` job with zero progress and attempts. Rejects with `CONFLICT` if the id exists. */
  create(job: NewJob): Promise<Job>;

  /** The job, or `undefined`. */
  get(id: string): Promise<Job | undefined>;

  /** Jobs newest first (`createdAt` desc, then id desc). */
  list(request?: PageRequest): Promise<Page<Job>>;

  /**
   * Applies `patch` atomically if, and only if, the job's current status is one of `from`.
   * Returns the updated job, or `undefined` when the job is unknown or in another status. This
   * compare-and-set is what makes redelivery idempotent and cancellation race-free.
   */
  transition(id: string, from: readonly JobStatus[], patch: JobPatch): Promise<Job | undefined>;

  /** Number of jobs in each status (all statuses present, zero when none). */
  countByStatus(): Promise<Record<JobStatus, number>>;

  /** Releases connections. Idempotent. */
  close(): Promise<void>;
}
