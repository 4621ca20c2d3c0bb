import type { Job, JobLease, JobPatch, JobStatus, NewJob, StaleJobQuery } from '../domain/job.js';
import type { JobPart, JobPartPatch, JobPartStatus } from '../domain/job-part.js';
import type { IdempotentResult, OutgoingEvent, WriteOptions } from '../domain/outbox.js';
import type { Page, PageRequest } from '../domain/page.js';
import type { OutboxStore } from './outbox-store.js';

/** Options of {@link JobStore.transition}. */
export interface TransitionOptions {
  /** Events committed with the change (only if it applies). @default [] */
  readonly outbox?: readonly OutgoingEvent[];
  /**
   * Fence the write: it applies only while `lease.token` is the job's current lease token, so a
   * run whose lease was taken over can no longer change the job.
   */
  readonly lease?: JobLease | undefined;
}

/**
 * Persists jobs. Implementations: `createMemoryJobStore()` here, SQLite and PostgreSQL in
 * `@playtally/store-sql`; all pass `describeJobStoreContract` from `@playtally/service/testing`.
 *
 * All methods are safe to call concurrently. Timestamps are ISO 8601 strings set by the store
 * (`createdAt` on create, `updatedAt` on every write) from its clock, which also decides when a
 * lease has expired. A write and the outbox events given with it commit together or not at all.
 */
export interface JobStore {
  /** Where {@link WriteOptions.outbox} events go; a relay publishes them. */
  readonly outbox: OutboxStore;

  /**
   * Inserts a `queued` job with zero progress and attempts, with its outbox events and
   * idempotency key. Rejects with `CONFLICT` if the id (or the idempotency key) exists.
   */
  create(job: NewJob, options?: WriteOptions): Promise<Job>;

  /** The job, or `undefined`. */
  get(id: string): Promise<Job | undefined>;

  /** The parts of a split job (see {@link NewJob.parts}) by index; none for any other job. */
  listParts(jobId: string): Promise<readonly JobPart[]>;

  /**
   * Applies `patch` to part `index` of a split job if, and only if, the job is `queued` or
   * `processing` and the part's status is one of `from`; in the same atomic step recomputes the
   * job's part counts and progress (the sums over its parts) and moves a queued job to
   * `processing` (setting `startedAt` the first time). Returns the job and the part, and
   * `started: true` when this update moved the job out of `queued`; `undefined` when either is
   * unknown or not in a status allowed. Concurrent updates of parts of one job never lose one
   * another's counts.
   */
  updatePart(
    jobId: string,
    index: number,
    from: readonly JobPartStatus[],
    patch: JobPartPatch,
  ): Promise<{ job: Job; part: JobPart; started: boolean } | undefined>;

  /** Jobs newest first (`createdAt` desc, then id desc). */
  list(request?: PageRequest): Promise<Page<Job>>;

  /**
   * Applies `patch` atomically if, and only if, the job's current status is one of `from` (and,
   * with `options.lease`, its lease token is still current). Returns the updated job, or
   * `undefined` when the job is unknown, in another status or fenced off. This compare-and-set
   * is what makes redelivery idempotent and cancellation race-free. Moving a job to `queued` or
   * to a final status also ends its lease.
   */
  transition(
    id: string,
    from: readonly JobStatus[],
    patch: JobPatch,
    options?: TransitionOptions,
  ): Promise<Job | undefined>;

  /**
   * Takes the lease of a `queued` or `processing` job for `ttlMs`, if nobody holds a live one.
   * A new owner gets the next fencing token; the owner already holding it gets its lease
   * extended with the same token (so retrying an acquire is safe). `undefined` when another
   * owner's lease is live or the job is unknown or finished.
   */
  acquireLease(id: string, owner: string, ttlMs: number): Promise<JobLease | undefined>;

  /** Extends a lease still current; `undefined` once another owner took it or the job finished. */
  renewLease(lease: JobLease, ttlMs: number): Promise<JobLease | undefined>;

  /** Ends a lease still current, so another worker may start at once. */
  releaseLease(lease: JobLease): Promise<void>;

  /**
   * Jobs the reconciler should publish again, oldest update first: `queued` ones not updated
   * since `query.updatedBefore`, and `processing` ones not updated since then whose lease expired
   * before `query.leaseExpiredBefore` (their worker is gone).
   */
  listStale(query: StaleJobQuery, limit: number): Promise<readonly Job[]>;

  /**
   * If the job still matches `query`, moves it to `queued` (its lease ended, `updatedAt` now)
   * and commits `outbox` with it. Returns the job, or `undefined` when it no longer matches.
   */
  requeueStale(
    id: string,
    query: StaleJobQuery,
    outbox: readonly OutgoingEvent[],
  ): Promise<Job | undefined>;

  /** Succeeded jobs that finished before `finishedBefore` (ISO 8601), oldest first. */
  listFinishedBefore(finishedBefore: string, limit: number): Promise<readonly Job[]>;

  /** The job whose upload is `inputKey`, or `undefined` (the orphan-blob sweeper asks). */
  findByInputKey(inputKey: string): Promise<Job | undefined>;

  /** The job an idempotency key created, with the fingerprint of its request. */
  findIdempotencyKey(key: string): Promise<IdempotentResult | undefined>;

  /** Removes the job (and its idempotency keys and parts); returns whether it existed. */
  delete(id: string): Promise<boolean>;

  /** Number of jobs in each status (all statuses present, zero when none). */
  countByStatus(): Promise<Record<JobStatus, number>>;

  /** Releases connections. Idempotent. */
  close(): Promise<void>;
}
