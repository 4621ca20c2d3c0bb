import { describe, expect, it } from 'vitest';
import { sampleEvent } from './job-lease-cases.js';
import type { JobStoreCaseContext } from './job-store-cases.js';
import { sampleNewJob } from './job-store-contract.js';

/** Rows with their outbox events, idempotency keys, deletes: part of the job store contract. */
export function describeJobOutboxCases({ store, clock }: JobStoreCaseContext): void {
  describe('writes with their outbox', () => {
    it('commits a created job together with its outbox events', async () => {
      const input = sampleNewJob();
      const event = sampleEvent(input.id);
      await store().create(input, { outbox: [{ topic: 'jobs', key: input.id, event }] });
      const claimed = await store().outbox.claim({ limit: 10, leaseMs: 1000 });
      expect(claimed).toEqual([
        {
          id: expect.any(String),
          topic: 'jobs',
          key: input.id,
          event,
          attempts: 1,
          createdAt: expect.any(String),
        },
      ]);
    });

    it('writes no event for a create that conflicts', async () => {
      const input = sampleNewJob();
      await store().create(input);
      await expect(
        store().create(input, { outbox: [{ topic: 'jobs', event: sampleEvent(input.id) }] }),
      ).rejects.toMatchObject({ code: 'CONFLICT' });
      expect(await store().outbox.pending()).toBe(0);
    });

    it('writes the events of a transition only when it applies', async () => {
      const job = await store().create(sampleNewJob());
      const outbox = [{ topic: 'events', event: sampleEvent(job.id) }];
      expect(
        await store().transition(job.id, ['processing'], { status: 'failed' }, { outbox }),
      ).toBeUndefined();
      expect(await store().outbox.pending()).toBe(0);
      await store().transition(job.id, ['queued'], { status: 'cancelled' }, { outbox });
      expect(await store().outbox.pending()).toBe(1);
    });

    it('records an idempotency key with its job and refuses it for another job', async () => {
      const first = await store().create(sampleNewJob(), {
        idempotency: { key: 'key-1', fingerprint: 'f1' },
      });
      expect(await store().findIdempotencyKey('key-1')).toEqual({
        fingerprint: 'f1',
        resourceId: first.id,
      });
      const second = sampleNewJob();
      await expect(
        store().create(second, {
          idempotency: { key: 'key-1', fingerprint: 'f2' },
          outbox: [{ topic: 'jobs', event: sampleEvent(second.id) }],
        }),
      ).rejects.toMatchObject({ code: 'CONFLICT', details: { idempotencyKey: 'key-1' } });
      expect(await store().get(second.id)).toBeUndefined();
      expect(await store().outbox.pending()).toBe(0);
      expect(await store().findIdempotencyKey('unknown')).toBeUndefined();
    });
  });

  describe('the sweepers queries', () => {
    it('deletes a job with its idempotency key, and says whether it existed', async () => {
      const job = await store().create(sampleNewJob(), {
        idempotency: { key: 'gone', fingerprint: 'f' },
      });
      expect(await store().delete(job.id)).toBe(true);
      expect(await store().delete(job.id)).toBe(false);
      expect(await store().get(job.id)).toBeUndefined();
      expect(await store().findIdempotencyKey('gone')).toBeUndefined();
      expect((await store().list()).items).toEqual([]);
    });

    it('lists succeeded jobs that finished before a cutoff, oldest first', async () => {
      const jobs = [];
      for (let n = 0; n < 4; n += 1) jobs.push(await store().create(sampleNewJob()));
      const at = (ms: number) => new Date(clock().now().getTime() + ms).toISOString();
      await store().transition(jobs[0]!.id, ['queued'], { status: 'succeeded', finishedAt: at(2) });
      await store().transition(jobs[1]!.id, ['queued'], { status: 'succeeded', finishedAt: at(1) });
      await store().transition(jobs[2]!.id, ['queued'], { status: 'failed', finishedAt: at(1) });
      await store().transition(jobs[3]!.id, ['queued'], { status: 'succeeded', finishedAt: at(9) });
      const expired = await store().listFinishedBefore(at(5), 10);
      expect(expired.map((job) => job.id)).toEqual([jobs[1]!.id, jobs[0]!.id]);
    });

    it('finds the job of an upload key', async () => {
      const job = await store().create(sampleNewJob());
      expect(await store().findByInputKey(job.inputKey)).toEqual(job);
      expect(await store().findByInputKey('uploads/none')).toBeUndefined();
    });
  });
}
