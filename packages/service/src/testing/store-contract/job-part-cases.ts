import type { RangeStatistics } from '@playtally/core';
import { describe, expect, it } from 'vitest';
import type { JobStoreCaseContext } from './job-store-cases.js';
import { sampleNewJob } from './job-store-contract.js';

const RANGES = [
  { start: 27, end: 1000, line: 2 },
  { start: 1000, end: 2000, line: 40 },
  { start: 2000, end: 4096, line: 77 },
];

const PART_STATISTICS: RangeStatistics = {
  bytesRead: 1000,
  rowsRead: 38,
  rowsRejected: 1,
  rejectedExamples: [{ line: 55, reason: 'Song is empty' }],
  groupsWritten: 30,
  spilledRuns: 0,
  durationMs: 3,
  resumeAt: { offset: 1500, line: 60 },
};

/** Parts of split jobs: part of {@link describeJobStoreContract}. */
export function describeJobPartCases({ store, clock }: JobStoreCaseContext): void {
  describe('parts of a split job', () => {
    it('creates a split job with its parts queued, and an unsplit one with none', async () => {
      const input = sampleNewJob({ parts: RANGES });
      const { parts: _ranges, ...fields } = input;
      const created = await store().create(input);
      expect(created).toMatchObject({ ...fields, parts: { total: 3, done: 0, running: 0 } });
      expect(await store().get(input.id)).toEqual(created);
      const parts = await store().listParts(input.id);
      expect(parts).toEqual(
        RANGES.map((range, index) => ({
          ...range,
          jobId: input.id,
          index,
          status: 'queued',
          bytesRead: 0,
          rowsRead: 0,
          runKey: null,
          statistics: null,
          error: null,
          updatedAt: clock().now().toISOString(),
        })),
      );
      const plain = await store().create(sampleNewJob());
      expect(plain.parts).toBeNull();
      expect(await store().listParts(plain.id)).toEqual([]);
      expect(await store().listParts('no-such-job')).toEqual([]);
    });

    it('updates a part, the job counts and progress with it, and starts a queued job', async () => {
      const job = await store().create(sampleNewJob({ parts: RANGES }));
      clock().advance(100);
      const at = clock().now().toISOString();
      const started = await store().updatePart(job.id, 1, ['queued', 'running'], {
        status: 'running',
        bytesRead: 400,
        rowsRead: 12,
      });
      expect(started?.part).toMatchObject({ index: 1, status: 'running', updatedAt: at });
      expect(started?.started).toBe(true);
      expect(started?.job).toMatchObject({
        status: 'processing',
        startedAt: at,
        updatedAt: at,
        parts: { total: 3, done: 0, running: 1 },
        progress: { bytesRead: 400, totalBytes: 4096, rowsRead: 12 },
      });
      const second = await store().updatePart(job.id, 0, ['queued'], { status: 'running' });
      expect(second?.started).toBe(false);
      clock().advance(100);
      const done = await store().updatePart(job.id, 1, ['running'], {
        status: 'done',
        bytesRead: 1000,
        rowsRead: 38,
        runKey: 'partials/p1',
        statistics: PART_STATISTICS,
      });
      expect(done?.job).toMatchObject({
        startedAt: at,
        parts: { total: 3, done: 1, running: 1 },
        progress: { bytesRead: 1000, totalBytes: 4096, rowsRead: 38 },
      });
      const parts = await store().listParts(job.id);
      expect(parts[1]).toMatchObject({ runKey: 'partials/p1', statistics: PART_STATISTICS });
      const error = { code: 'INVALID_ROW', message: 'line 77: Song is empty' };
      const failed = await store().updatePart(job.id, 0, ['running'], { status: 'done', error });
      expect(failed?.part).toMatchObject({ status: 'done', error, statistics: null });
      expect((await store().listParts(job.id))[0]?.error).toEqual(error);
      expect((await store().get(job.id))?.parts).toEqual({ total: 3, done: 2, running: 0 });
    });

    it('updates a part only from the statuses listed, and only while the job runs', async () => {
      const job = await store().create(sampleNewJob({ parts: RANGES }));
      expect(await store().updatePart(job.id, 0, ['running'], { status: 'done' })).toBeUndefined();
      expect(await store().updatePart(job.id, 3, ['queued'], { status: 'done' })).toBeUndefined();
      expect(await store().updatePart('nope', 0, ['queued'], { status: 'done' })).toBeUndefined();
      await store().transition(job.id, ['queued'], { status: 'cancelled' });
      expect(
        await store().updatePart(job.id, 0, ['queued'], { status: 'running' }),
      ).toBeUndefined();
      expect((await store().listParts(job.id))[0]?.status).toBe('queued');
      expect((await store().get(job.id))?.status).toBe('cancelled');
    });

    it('lets exactly one of concurrent completions of a part win', async () => {
      const job = await store().create(sampleNewJob({ parts: RANGES }));
      const results = await Promise.all(
        Array.from({ length: 6 }, (_, run) =>
          store().updatePart(job.id, 2, ['queued', 'running'], {
            status: 'done',
            rowsRead: 10,
            runKey: `partials/run-${run}`,
          }),
        ),
      );
      expect(results.filter((result) => result !== undefined)).toHaveLength(1);
      expect((await store().get(job.id))?.progress.rowsRead).toBe(10);
    });

    it('keeps every count when parts of one job are updated at once', async () => {
      const ranges = Array.from({ length: 12 }, (_, i) => ({
        start: i * 10,
        end: i * 10 + 10,
        line: i + 2,
      }));
      const job = await store().create(sampleNewJob({ parts: ranges, sizeBytes: 120 }));
      await Promise.all(
        ranges.map((_, index) =>
          store().updatePart(job.id, index, ['queued'], {
            status: 'done',
            bytesRead: 10,
            rowsRead: index + 1,
          }),
        ),
      );
      expect(await store().get(job.id)).toMatchObject({
        parts: { total: 12, done: 12, running: 0 },
        progress: { bytesRead: 120, totalBytes: 120, rowsRead: 78 },
      });
    });

    it('deletes the parts with the job', async () => {
      const job = await store().create(sampleNewJob({ parts: RANGES }));
      expect(await store().delete(job.id)).toBe(true);
      expect(await store().listParts(job.id)).toEqual([]);
    });
  });
}
