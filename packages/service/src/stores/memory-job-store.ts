import { PlaytallyError } from '@playtally/core';
import type { Job, JobPatch, JobStatus, NewJob } from '../domain/job.js';
import type { Page, PageRequest } from '../domain/page.js';
import type { JobStore } from '../ports/job-store.js';
import { NewestFirstIndex } from './newest-first-index.js';
import { decodePageCursor, resolvePageLimit } from './page-cursor.js';
import { normalizeTimestamp } from './timestamp.js';

/** Options of {@link createMemoryJobStore}. */
export interface MemoryJobStoreOptions {
  /** The clock read for `createdAt` and `updatedAt`. @default () => new Date() */
  now?: () => Date;
}

const JOB_STATUSES: readonly JobStatus[] = [
  'queued',
  'processing',
  'succeeded',
  'failed',
  'cancelled',
];

/**
 * A {@link JobStore} in process memory: for tests and single-process demos (jobs vanish with
 * the process). Every value goes in and out as a deep copy, so a caller mutating a job it got
 * cannot change what the store holds. Each method runs to completion without yielding, which
 * makes `transition` a true compare-and-set.
 *
 * @example
 * ```ts
 * import { createMemoryJobStore } from '@playtally/core';
 * const jobs = createMemoryJobStore();
 * await jobs.create({ id: 'j1', filename: 'plays.csv', inputKey: 'uploads/…', sizeBytes: 10, onInvalid: 'fail' });
 * ```
 */
export function createMemoryJobStore(options: MemoryJobStoreOptions = {}): JobStore {
  const now = options.now ?? (() => new Date());
  const jobs = new Map<string, Job>();
  const order = new NewestFirstIndex();
  let closed = false;

  const assertOpen = (): void => {
    if (closed) throw new PlaytallyError('STORE_ERROR', 'memory job store is closed');
  };

  return {
    async create(job: NewJob): Promise<Job> {
      assertOpen();
      if (jobs.has(job.id)) {
        throw new PlaytallyError('CONFLICT', `Job ${job.id} already exists`, {
          details: { id: job.id },
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
        createdAt: at,
        updatedAt: at,
        startedAt: null,
        finishedAt: null,
      };
      jobs.set(job.id, created);
      order.insert({ at, id: job.id });
      return structuredClone(created);
    },

    async get(id: string): Promise<Job | undefined> {
      assertOpen();
      const job = jobs.get(id);
      return job === undefined ? undefined : structuredClone(job);
    },

    async list(request: PageRequest = {}): Promise<Page<Job>> {
      assertOpen();
      const limit = resolvePageLimit(request.limit);
      const page = order.page(decodePageCursor(request.cursor), limit);
      return {
        items: page.items.map((id) => structuredClone(jobs.get(id)!)),
        nextCursor: page.nextCursor,
      };
    },

    async transition(
      id: string,
      from: readonly JobStatus[],
      patch: JobPatch,
    ): Promise<Job | undefined> {
      assertOpen();
      const current = jobs.get(id);
      if (current === undefined || !from.includes(current.status)) return undefined;
      const updated: Job = {
        ...current,
        ...structuredClone(pickPatch(patch)),
        ...normalizedTimes(patch),
        updatedAt: now().toISOString(),
      };
      jobs.set(id, updated);
      return structuredClone(updated);
    },

    async countByStatus(): Promise<Record<JobStatus, number>> {
      assertOpen();
      const counts = Object.fromEntries(JOB_STATUSES.map((status) => [status, 0])) as Record<
        JobStatus,
        number
      >;
      for (const job of jobs.values()) counts[job.status] += 1;
      return counts;
    },

    async close(): Promise<void> {
      closed = true;
    },
  };
}

const PATCHABLE: readonly (keyof JobPatch)[] = [
  'status',
  'resultKey',
  'progress',
  'attempts',
  'error',
  'statistics',
  'startedAt',
  'finishedAt',
];

/** The patch's known fields; a key set to `undefined` means "leave it" like an absent one. */
function pickPatch(patch: JobPatch): JobPatch {
  return Object.fromEntries(
    PATCHABLE.filter((key) => patch[key] !== undefined).map((key) => [key, patch[key]]),
  ) as JobPatch;
}

function normalizedTimes(patch: JobPatch): Pick<JobPatch, 'startedAt' | 'finishedAt'> {
  const times: { startedAt?: string | null; finishedAt?: string | null } = {};
  if (typeof patch.startedAt === 'string') {
    times.startedAt = normalizeTimestamp(patch.startedAt, 'startedAt');
  }
  if (typeof patch.finishedAt === 'string') {
    times.finishedAt = normalizeTimestamp(patch.finishedAt, 'finishedAt');
  }
  return times;
}
