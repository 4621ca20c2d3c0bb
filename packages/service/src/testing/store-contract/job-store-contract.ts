import { randomUUID } from 'node:crypto';
import type { AggregateStatistics } from '@playtally/core';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { JOB_STATUSES, type Job, type JobStatus, type NewJob } from '../../domain/job.js';
import type { JobStore } from '../../ports/job-store.js';
import { compareNewestFirst } from '../../stores/page-cursor.js';
import { type ContractClock, collectPages, createContractClock } from './contract-clock.js';
import { describeJobLeaseCases } from './job-lease-cases.js';
import { describeJobOutboxCases } from './job-outbox-cases.js';
import { describeJobPartCases } from './job-part-cases.js';
import { describeOutboxCases } from './outbox-cases.js';

/** What {@link describeJobStoreContract} hands the factory for each test. */
export interface JobStoreContractContext {
  /**
   * The clock the store must read for the timestamps it sets (`createdAt`, `updatedAt`). The
   * suite freezes and moves it, e.g. to create several jobs in one millisecond.
   */
  readonly now: () => Date;
}

/** Makes a fresh, empty store for one test. The suite closes it afterwards. */
export type JobStoreFactory = (context: JobStoreContractContext) => JobStore | Promise<JobStore>;

const ALL_STATUSES: readonly JobStatus[] = JOB_STATUSES;

const STATISTICS: AggregateStatistics = {
  bytesRead: 5_000_000_123,
  rowsRead: 120,
  rowsRejected: 2,
  rejectedExamples: [
    { line: 7, reason: 'Date "2020-02-30" is not a calendar date' },
    { line: 91, reason: 'Song is empty; "quoted, text" ✓ ünïcödé' },
  ],
  groupsWritten: 40,
  spilledRuns: 1,
  durationMs: 12.5,
};

/** A job to create; `id` defaults to a fresh UUID. */
export function sampleNewJob(overrides: Partial<NewJob> = {}): NewJob {
  return {
    id: randomUUID(),
    filename: 'plays "march", 2024.csv',
    inputKey: `uploads/${randomUUID()}`,
    sizeBytes: 4096,
    onInvalid: 'skip',
    ...overrides,
  };
}

/**
 * The behaviour every {@link JobStore} must show, as a vitest suite: round trips of every field,
 * `CONFLICT` on a duplicate id, newest-first keyset pagination (ties on `createdAt` included),
 * compare-and-set `transition` under concurrency, `countByStatus`, leases with fencing tokens,
 * rows committed with their outbox events and idempotency keys, the reconciler's and sweepers'
 * queries, the outbox itself (claim, lease, retry, complete), idempotent `close`.
 *
 * @example
 * ```ts
 * import { describeJobStoreContract } from '@playtally/service/testing';
 * import { createMemoryJobStore } from '@playtally/core';
 * describeJobStoreContract('memory', ({ now }) => createMemoryJobStore({ now }));
 * ```
 */
export function describeJobStoreContract(name: string, factory: JobStoreFactory): void {
  describe(`${name}: JobStore contract`, () => {
    let clock: ContractClock;
    let store: JobStore;

    beforeEach(async () => {
      clock = createContractClock();
      store = await factory({ now: clock.now });
    });

    afterEach(async () => {
      await store.close();
    });

    const createMany = async (count: number, perMillisecond: number): Promise<Job[]> => {
      const created: Job[] = [];
      for (let index = 0; index < count; index += 1) {
        if (index > 0 && index % perMillisecond === 0) clock.advance(1);
        created.push(await store.create(sampleNewJob()));
      }
      return created;
    };

    it('creates a queued job with zero progress and attempts, stamped by the clock', async () => {
      const input = sampleNewJob({ sizeBytes: 3_000_000_000, onInvalid: 'fail' });
      const created = await store.create(input);
      const at = clock.now().toISOString();
      expect(created).toEqual({
        ...input,
        status: 'queued',
        resultKey: null,
        progress: { bytesRead: 0, totalBytes: input.sizeBytes, rowsRead: 0 },
        attempts: 0,
        error: null,
        statistics: null,
        parts: null,
        createdAt: at,
        updatedAt: at,
        startedAt: null,
        finishedAt: null,
      });
      expect(await store.get(input.id)).toEqual(created);
    });

    it('returns undefined for an unknown id', async () => {
      expect(await store.get('no-such-job')).toBeUndefined();
    });

    it('rejects a duplicate id with CONFLICT and keeps the first job', async () => {
      const first = await store.create(sampleNewJob({ id: 'dup' }));
      await expect(
        store.create(sampleNewJob({ id: 'dup', filename: 'other.csv' })),
      ).rejects.toMatchObject({
        name: 'PlaytallyError',
        code: 'CONFLICT',
      });
      expect(await store.get('dup')).toEqual(first);
    });

    it('round-trips every field a transition may set', async () => {
      const job = await store.create(sampleNewJob());
      clock.advance(1500);
      const started = await store.transition(job.id, ['queued'], {
        status: 'processing',
        attempts: 1,
        startedAt: clock.now().toISOString(),
        progress: { bytesRead: 2048, totalBytes: 4096, rowsRead: 33 },
      });
      expect(started).toMatchObject({ status: 'processing', attempts: 1, error: null });
      expect(started?.updatedAt).toBe(clock.now().toISOString());
      clock.advance(250);
      const failed = await store.transition(job.id, ['processing'], {
        status: 'failed',
        error: { code: 'INVALID_ROW', message: 'line 3: "Number of Plays" is not a number' },
        finishedAt: clock.now().toISOString(),
      });
      expect(failed).toEqual({
        ...job,
        status: 'failed',
        progress: { bytesRead: 2048, totalBytes: 4096, rowsRead: 33 },
        attempts: 1,
        error: { code: 'INVALID_ROW', message: 'line 3: "Number of Plays" is not a number' },
        updatedAt: clock.now().toISOString(),
        startedAt: '2031-03-04T05:06:08.500Z',
        finishedAt: clock.now().toISOString(),
      });
      const retried = await store.transition(job.id, ['failed'], {
        status: 'succeeded',
        error: null,
        resultKey: 'results/abc',
        statistics: STATISTICS,
      });
      expect(retried).toMatchObject({ status: 'succeeded', error: null, resultKey: 'results/abc' });
      expect(await store.get(job.id)).toEqual(retried);
      expect((await store.get(job.id))?.statistics).toEqual(STATISTICS);
    });

    it('hands out copies: mutating a returned job does not change the stored one', async () => {
      const job = await store.create(sampleNewJob());
      (job.progress as { rowsRead: number }).rowsRead = 99;
      (job as { status: JobStatus }).status = 'failed';
      const stored = await store.get(job.id);
      expect(stored?.progress.rowsRead).toBe(0);
      expect(stored?.status).toBe('queued');
    });

    it('lists an empty store as one empty last page', async () => {
      expect(await store.list()).toEqual({ items: [], nextCursor: null });
    });

    it('lists newest first, 50 per page by default', async () => {
      const created = await createMany(55, 1);
      const first = await store.list();
      expect(first.items.map((job) => job.id)).toEqual(
        created
          .slice(5)
          .reverse()
          .map((job) => job.id),
      );
      expect(first.nextCursor).not.toBeNull();
      const second = await store.list({ cursor: first.nextCursor });
      expect(second.items.map((job) => job.id)).toEqual(
        created
          .slice(0, 5)
          .reverse()
          .map((job) => job.id),
      );
      expect(second.nextCursor).toBeNull();
    });

    it('pages through jobs sharing createdAt milliseconds without duplicates or gaps', async () => {
      const created = await createMany(45, 4);
      const expected = [...created]
        .sort((a, b) =>
          compareNewestFirst({ at: a.createdAt, id: a.id }, { at: b.createdAt, id: b.id }),
        )
        .map((job) => job.id);
      expect(new Set(created.map((job) => job.createdAt)).size).toBe(12);
      const { items, pages } = await collectPages((request) => store.list(request), 7);
      expect(items.map((job) => job.id)).toEqual(expected);
      expect(pages).toBe(7);
    });

    it('ends with a null cursor when the last page is exactly full', async () => {
      await createMany(14, 3);
      const { items, pages } = await collectPages((request) => store.list(request), 7);
      expect(items).toHaveLength(14);
      expect(pages).toBe(2);
    });

    it('keeps later pages stable while newer jobs arrive', async () => {
      const created = await createMany(20, 2);
      const first = await store.list({ limit: 8 });
      clock.advance(10);
      await createMany(5, 5);
      const rest = await collectPages(
        (request) => store.list({ ...request, cursor: request.cursor ?? first.nextCursor }),
        8,
      );
      const seen = [...first.items, ...rest.items].map((job) => job.id);
      expect(new Set(seen).size).toBe(20);
      expect(seen.sort()).toEqual(created.map((job) => job.id).sort());
    });

    it('rejects a cursor it did not make with VALIDATION_FAILED', async () => {
      await expect(store.list({ cursor: 'not a cursor!' })).rejects.toMatchObject({
        code: 'VALIDATION_FAILED',
      });
    });

    it('transitions only from the listed statuses', async () => {
      const job = await store.create(sampleNewJob());
      expect(
        await store.transition(job.id, ['processing'], { status: 'succeeded' }),
      ).toBeUndefined();
      expect(await store.transition(job.id, [], { status: 'processing' })).toBeUndefined();
      expect(
        await store.transition('no-such-job', ['queued'], { status: 'processing' }),
      ).toBeUndefined();
      expect(await store.get(job.id)).toEqual(job);
      const moved = await store.transition(job.id, ['processing', 'queued'], {
        status: 'cancelled',
      });
      expect(moved?.status).toBe('cancelled');
    });

    it('updates progress without changing the status when the patch names none', async () => {
      const job = await store.create(sampleNewJob());
      const updated = await store.transition(job.id, ['queued'], {
        progress: { bytesRead: 10, totalBytes: 4096, rowsRead: 1 },
      });
      expect(updated?.status).toBe('queued');
      expect(updated?.progress).toEqual({ bytesRead: 10, totalBytes: 4096, rowsRead: 1 });
    });

    it('lets exactly one of many concurrent transitions from the same status win', async () => {
      const job = await store.create(sampleNewJob());
      const results = await Promise.all(
        Array.from({ length: 12 }, (_, attempt) =>
          store.transition(job.id, ['queued'], { status: 'processing', attempts: attempt + 1 }),
        ),
      );
      const winners = results.filter((result) => result !== undefined);
      expect(winners).toHaveLength(1);
      expect(await store.get(job.id)).toEqual(winners[0]);
    });

    it('lets a cancellation and a start race with exactly one winner', async () => {
      const jobs = await createMany(10, 10);
      for (const job of jobs) {
        const [cancel, start] = await Promise.all([
          store.transition(job.id, ['queued', 'processing'], { status: 'cancelled' }),
          store.transition(job.id, ['queued'], { status: 'processing', attempts: 1 }),
        ]);
        const final = await store.get(job.id);
        if (start === undefined) {
          expect(final?.status).toBe('cancelled');
        } else {
          expect(cancel === undefined ? 'processing' : 'cancelled').toBe(final?.status);
        }
      }
    });

    it('counts jobs in every status, zero included', async () => {
      expect(await store.countByStatus()).toEqual({
        queued: 0,
        processing: 0,
        succeeded: 0,
        failed: 0,
        cancelled: 0,
        expired: 0,
      });
      const jobs = await createMany(7, 7);
      const moves: JobStatus[] = ['processing', 'processing', 'succeeded', 'failed', 'cancelled'];
      await Promise.all(
        moves.map((status, index) => store.transition(jobs[index]!.id, ['queued'], { status })),
      );
      const counts = await store.countByStatus();
      expect(Object.keys(counts).sort()).toEqual([...ALL_STATUSES].sort());
      expect(counts).toEqual({
        queued: 2,
        processing: 2,
        succeeded: 1,
        failed: 1,
        cancelled: 1,
        expired: 0,
      });
    });

    it('creates many jobs concurrently without losing one', async () => {
      const inputs = Array.from({ length: 25 }, () => sampleNewJob());
      await Promise.all(inputs.map((input) => store.create(input)));
      const { items } = await collectPages((request) => store.list(request), 10);
      expect(items.map((job) => job.id).sort()).toEqual(inputs.map((input) => input.id).sort());
    });

    const context = { store: () => store, clock: () => clock };
    describeJobLeaseCases(context);
    describeJobPartCases(context);
    describeJobOutboxCases(context);
    describeOutboxCases(context);

    it('closes idempotently and refuses work afterwards with STORE_ERROR', async () => {
      await store.close();
      await store.close();
      await expect(store.get('any')).rejects.toMatchObject({ code: 'STORE_ERROR' });
    });
  });
}
