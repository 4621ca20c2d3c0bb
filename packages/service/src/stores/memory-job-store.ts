import { PlaytallyError } from '@playtally/core';
import {
  isFinalJobStatus,
  JOB_STATUSES,
  type Job,
  type JobLease,
  type JobPatch,
  type JobStatus,
  type NewJob,
  type StaleJobQuery,
} from '../domain/job.js';
import { type JobPart, summarizeParts } from '../domain/job-part.js';
import type { IdempotentResult, OutgoingEvent, WriteOptions } from '../domain/outbox.js';
import type { Page, PageRequest } from '../domain/page.js';
import type { JobStore, TransitionOptions } from '../ports/job-store.js';
import { pickJobPatch } from './job-patch.js';
import { createMemoryOutboxStore, type MemoryOutboxStore } from './memory-outbox-store.js';
import { NewestFirstIndex } from './newest-first-index.js';
import { decodePageCursor, resolvePageLimit } from './page-cursor.js';

/** Options of {@link createMemoryJobStore}. */
export interface MemoryJobStoreOptions {
  /** The clock read for timestamps and lease expiry. @default () => new Date() */
  now?: () => Date;
  /** The outbox its writes add events to; share one with the message store. @default a new one */
  outbox?: MemoryOutboxStore;
}

interface Held {
  job: Job;
  parts: JobPart[];
  lease: { owner: string; expiresAt: string } | null;
  token: number;
}

/**
 * A {@link JobStore} in process memory: for tests and single-process demos (jobs vanish with
 * the process). Every value goes in and out as a deep copy, so a caller mutating a job it got
 * cannot change what the store holds. Each method runs to completion without yielding, which
 * makes `transition` a true compare-and-set and a row and its outbox events one atomic step.
 *
 * @example
 * ```ts
 * import { createMemoryJobStore } from '@playtally/service';
 * const jobs = createMemoryJobStore();
 * await jobs.create({ id: 'j1', filename: 'plays.csv', inputKey: 'uploads/…', sizeBytes: 10, onInvalid: 'fail' });
 * ```
 */
export function createMemoryJobStore(options: MemoryJobStoreOptions = {}): JobStore {
  const now = options.now ?? (() => new Date());
  const outbox = options.outbox ?? createMemoryOutboxStore({ now });
  const jobs = new Map<string, Held>();
  const keys = new Map<string, IdempotentResult>();
  const order = new NewestFirstIndex();
  let closed = false;

  const assertOpen = (): void => {
    if (closed) throw new PlaytallyError('STORE_ERROR', 'memory job store is closed');
  };
  const copy = (held: Held | undefined): Job | undefined =>
    held === undefined ? undefined : structuredClone(held.job);
  const leaseOf = (id: string, held: Held): JobLease | undefined =>
    held.lease === null
      ? undefined
      : { jobId: id, owner: held.lease.owner, token: held.token, expiresAt: held.lease.expiresAt };
  const isStale = (held: Held, query: StaleJobQuery): boolean => {
    if (held.job.updatedAt >= query.updatedBefore) return false;
    if (held.job.status === 'queued') return true;
    if (held.job.status !== 'processing') return false;
    return held.lease === null || held.lease.expiresAt < query.leaseExpiredBefore;
  };
  const write = (held: Held, patch: JobPatch, events: readonly OutgoingEvent[] = []): Job => {
    held.job = {
      ...held.job,
      ...structuredClone(pickJobPatch(patch)),
      updatedAt: now().toISOString(),
    };
    if (held.job.status === 'queued' || isFinalJobStatus(held.job.status)) held.lease = null;
    outbox.enqueue(events);
    return structuredClone(held.job);
  };

  return {
    outbox,

    async create(job: NewJob, writeOptions: WriteOptions = {}): Promise<Job> {
      assertOpen();
      if (jobs.has(job.id)) {
        throw new PlaytallyError('CONFLICT', `Job ${job.id} already exists`, {
          details: { id: job.id },
        });
      }
      const idempotency = writeOptions.idempotency;
      if (idempotency !== undefined && keys.has(idempotency.key)) {
        throw new PlaytallyError('CONFLICT', 'the idempotency key is already used', {
          details: { idempotencyKey: idempotency.key },
        });
      }
      const at = now().toISOString();
      const created: Job = {
        id: job.id,
        status: 'queued',
        filename: job.filename,
        inputKey: job.inputKey,
        resultKey: null,
        sizeBytes: job.sizeBytes,
        onInvalid: job.onInvalid,
        progress: { bytesRead: 0, totalBytes: job.sizeBytes, rowsRead: 0 },
        attempts: 0,
        error: null,
        statistics: null,
        parts:
          job.parts === undefined || job.parts.length === 0
            ? null
            : { total: job.parts.length, done: 0, running: 0 },
        createdAt: at,
        updatedAt: at,
        startedAt: null,
        finishedAt: null,
      };
      const parts = (job.parts ?? []).map(
        (range, index): JobPart => ({
          jobId: job.id,
          index,
          start: range.start,
          end: range.end,
          line: range.line,
          status: 'queued',
          bytesRead: 0,
          rowsRead: 0,
          runKey: null,
          statistics: null,
          error: null,
          updatedAt: at,
        }),
      );
      jobs.set(job.id, { job: created, parts, lease: null, token: 0 });
      order.insert({ at, id: job.id });
      if (idempotency !== undefined) {
        keys.set(idempotency.key, { fingerprint: idempotency.fingerprint, resourceId: job.id });
      }
      outbox.enqueue(writeOptions.outbox ?? []);
      return structuredClone(created);
    },

    async get(id) {
      assertOpen();
      return copy(jobs.get(id));
    },

    async listParts(jobId) {
      assertOpen();
      return structuredClone(jobs.get(jobId)?.parts ?? []);
    },

    async updatePart(jobId, index, from, patch) {
      assertOpen();
      const held = jobs.get(jobId);
      const part = held?.parts[index];
      if (held === undefined || part === undefined || !from.includes(part.status)) return undefined;
      if (held.job.status !== 'queued' && held.job.status !== 'processing') return undefined;
      const at = now().toISOString();
      const updated: JobPart = { ...part, ...structuredClone(patch), updatedAt: at };
      held.parts[index] = updated;
      const summary = summarizeParts(held.parts);
      const started = held.job.status === 'queued';
      held.job = {
        ...held.job,
        status: 'processing',
        parts: summary.counts,
        progress: {
          bytesRead: summary.bytesRead,
          totalBytes: held.job.sizeBytes,
          rowsRead: summary.rowsRead,
        },
        startedAt: held.job.startedAt ?? at,
        updatedAt: at,
      };
      return { job: structuredClone(held.job), part: structuredClone(updated), started };
    },

    async list(request: PageRequest = {}): Promise<Page<Job>> {
      assertOpen();
      const limit = resolvePageLimit(request.limit);
      const page = order.page(decodePageCursor(request.cursor), limit);
      return {
        items: page.items.map((id) => structuredClone(jobs.get(id)!.job)),
        nextCursor: page.nextCursor,
      };
    },

    async transition(id, from, patch, transitionOptions: TransitionOptions = {}) {
      assertOpen();
      const held = jobs.get(id);
      if (held === undefined || !from.includes(held.job.status)) return undefined;
      const lease = transitionOptions.lease;
      if (lease !== undefined && lease.token !== held.token) return undefined;
      return write(held, patch, transitionOptions.outbox);
    },

    async acquireLease(id, owner, ttlMs) {
      assertOpen();
      const held = jobs.get(id);
      if (held === undefined) return undefined;
      if (held.job.status !== 'queued' && held.job.status !== 'processing') return undefined;
      const at = now();
      const live = held.lease !== null && held.lease.expiresAt > at.toISOString();
      if (live && held.lease?.owner !== owner) return undefined;
      if (held.lease?.owner !== owner || !live) held.token += 1;
      held.lease = { owner, expiresAt: new Date(at.getTime() + ttlMs).toISOString() };
      return leaseOf(id, held);
    },

    async renewLease(lease, ttlMs) {
      assertOpen();
      const held = jobs.get(lease.jobId);
      if (held === undefined || held.token !== lease.token || held.lease === null) return undefined;
      held.lease = {
        owner: held.lease.owner,
        expiresAt: new Date(now().getTime() + ttlMs).toISOString(),
      };
      return leaseOf(lease.jobId, held);
    },

    async releaseLease(lease) {
      assertOpen();
      const held = jobs.get(lease.jobId);
      if (held !== undefined && held.token === lease.token) held.lease = null;
    },

    async listStale(query, limit) {
      assertOpen();
      return [...jobs.values()]
        .filter((held) => isStale(held, query))
        .sort((a, b) => a.job.updatedAt.localeCompare(b.job.updatedAt))
        .slice(0, limit)
        .map((held) => structuredClone(held.job));
    },

    async requeueStale(id, query, events) {
      assertOpen();
      const held = jobs.get(id);
      if (held === undefined || !isStale(held, query)) return undefined;
      return write(held, { status: 'queued' }, events);
    },

    async listFinishedBefore(finishedBefore, limit) {
      assertOpen();
      return [...jobs.values()]
        .filter(
          ({ job }) =>
            job.status === 'succeeded' &&
            job.finishedAt !== null &&
            job.finishedAt < finishedBefore,
        )
        .sort((a, b) => (a.job.finishedAt ?? '').localeCompare(b.job.finishedAt ?? ''))
        .slice(0, limit)
        .map((held) => structuredClone(held.job));
    },

    async findByInputKey(inputKey) {
      assertOpen();
      for (const held of jobs.values()) if (held.job.inputKey === inputKey) return copy(held);
      return undefined;
    },

    async findIdempotencyKey(key) {
      assertOpen();
      const found = keys.get(key);
      return found === undefined ? undefined : { ...found };
    },

    async delete(id) {
      assertOpen();
      const held = jobs.get(id);
      if (held === undefined) return false;
      jobs.delete(id);
      order.remove({ at: held.job.createdAt, id });
      for (const [key, result] of keys) if (result.resourceId === id) keys.delete(key);
      return true;
    },

    async countByStatus(): Promise<Record<JobStatus, number>> {
      assertOpen();
      const counts = Object.fromEntries(JOB_STATUSES.map((status) => [status, 0])) as Record<
        JobStatus,
        number
      >;
      for (const { job } of jobs.values()) counts[job.status] += 1;
      return counts;
    },

    async close(): Promise<void> {
      closed = true;
    },
  };
}
