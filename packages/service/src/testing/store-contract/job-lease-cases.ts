import { describe, expect, it } from 'vitest';
import type { JobStoreCaseContext } from './job-store-cases.js';
import { sampleNewJob } from './job-store-contract.js';

/** Leases and fencing tokens: part of {@link describeJobStoreContract}. */
export function describeJobLeaseCases({ store, clock }: JobStoreCaseContext): void {
  describe('leases', () => {
    it('leases a queued job to one owner until the lease expires by the store clock', async () => {
      const job = await store().create(sampleNewJob());
      const lease = await store().acquireLease(job.id, 'worker-a', 30_000);
      expect(lease).toEqual({
        jobId: job.id,
        owner: 'worker-a',
        token: expect.any(Number),
        expiresAt: new Date(clock().now().getTime() + 30_000).toISOString(),
      });
      expect(await store().acquireLease(job.id, 'worker-b', 30_000)).toBeUndefined();
    });

    it('extends the lease of the owner that asks again, with the same token', async () => {
      const job = await store().create(sampleNewJob());
      const first = await store().acquireLease(job.id, 'worker-a', 1000);
      clock().advance(500);
      const again = await store().acquireLease(job.id, 'worker-a', 1000);
      expect(again?.token).toBe(first?.token);
      expect(again?.expiresAt).toBe(new Date(clock().now().getTime() + 1000).toISOString());
    });

    it('hands an expired lease to the next owner with a greater token', async () => {
      const job = await store().create(sampleNewJob());
      const first = await store().acquireLease(job.id, 'worker-a', 1000);
      clock().advance(1001);
      const second = await store().acquireLease(job.id, 'worker-b', 1000);
      expect(second?.owner).toBe('worker-b');
      expect(second?.token).toBeGreaterThan(first!.token);
    });

    it('refuses writes fenced by a stale token and applies those of the current one', async () => {
      const job = await store().create(sampleNewJob());
      const stale = await store().acquireLease(job.id, 'worker-a', 1000);
      clock().advance(1001);
      const current = await store().acquireLease(job.id, 'worker-b', 1000);
      const patch = { status: 'succeeded', resultKey: 'results/x' } as const;
      expect(await store().transition(job.id, ['queued'], patch, { lease: stale })).toBeUndefined();
      expect(await store().get(job.id)).toMatchObject({ status: 'queued', resultKey: null });
      const done = await store().transition(job.id, ['queued'], patch, { lease: current });
      expect(done).toMatchObject({ status: 'succeeded', resultKey: 'results/x' });
    });

    it('renews a current lease and refuses to renew a stale one', async () => {
      const job = await store().create(sampleNewJob());
      const stale = await store().acquireLease(job.id, 'worker-a', 1000);
      clock().advance(1001);
      const current = await store().acquireLease(job.id, 'worker-b', 1000);
      expect(await store().renewLease(stale!, 5000)).toBeUndefined();
      clock().advance(10);
      const renewed = await store().renewLease(current!, 5000);
      expect(renewed).toMatchObject({ token: current!.token, owner: 'worker-b' });
      expect(renewed?.expiresAt).toBe(new Date(clock().now().getTime() + 5000).toISOString());
    });

    it('lets another owner start at once after a release or a move back to queued', async () => {
      const job = await store().create(sampleNewJob());
      const first = await store().acquireLease(job.id, 'worker-a', 60_000);
      await store().releaseLease(first!);
      const second = await store().acquireLease(job.id, 'worker-b', 60_000);
      expect(second?.token).toBeGreaterThan(first!.token);
      await store().transition(job.id, ['queued'], { status: 'queued' }, { lease: second });
      expect(await store().acquireLease(job.id, 'worker-c', 60_000)).toMatchObject({
        owner: 'worker-c',
      });
    });

    it('leases no finished job and no unknown job', async () => {
      const job = await store().create(sampleNewJob());
      await store().transition(job.id, ['queued'], { status: 'succeeded' });
      expect(await store().acquireLease(job.id, 'worker-a', 1000)).toBeUndefined();
      expect(await store().acquireLease('no-such-job', 'worker-a', 1000)).toBeUndefined();
    });

    it('gives a lease raced for by many owners to exactly one', async () => {
      const job = await store().create(sampleNewJob());
      const leases = await Promise.all(
        Array.from({ length: 10 }, (_, n) => store().acquireLease(job.id, `worker-${n}`, 60_000)),
      );
      expect(leases.filter((lease) => lease !== undefined)).toHaveLength(1);
    });
  });

  describe('the reconciler queries', () => {
    it('lists queued jobs idle since the cutoff and processing ones whose lease expired', async () => {
      const old = await store().create(sampleNewJob());
      const orphan = await store().create(sampleNewJob());
      const running = await store().create(sampleNewJob());
      const finished = await store().create(sampleNewJob());
      for (const job of [orphan, running]) {
        await store().transition(job.id, ['queued'], { status: 'processing' });
      }
      await store().acquireLease(orphan.id, 'dead worker', 1000);
      await store().acquireLease(running.id, 'live worker', 60_000);
      await store().transition(finished.id, ['queued'], { status: 'failed' });
      clock().advance(5000);
      const fresh = await store().create(sampleNewJob());
      const now = clock().now().toISOString();
      const query = { updatedBefore: now, leaseExpiredBefore: now };
      const stale = await store().listStale(query, 10);
      expect(stale.map((job) => job.id).sort()).toEqual([old.id, orphan.id].sort());
      expect(stale.map((job) => job.id)).not.toContain(fresh.id);
    });

    it('requeues a stale job once, with its outbox events', async () => {
      const job = await store().create(sampleNewJob());
      await store().transition(job.id, ['queued'], { status: 'processing' });
      clock().advance(1000);
      const now = clock().now().toISOString();
      const query = { updatedBefore: now, leaseExpiredBefore: now };
      const before = await store().outbox.pending();
      const event = { topic: 't', event: sampleEvent(job.id) };
      const requeued = await store().requeueStale(job.id, query, [event]);
      expect(requeued).toMatchObject({ id: job.id, status: 'queued', updatedAt: now });
      expect(await store().requeueStale(job.id, query, [event])).toBeUndefined();
      expect(await store().outbox.pending()).toBe(before + 1);
    });
  });
}

/** A CloudEvent for outbox cases. */
export function sampleEvent(subject: string, data: unknown = { n: 1 }) {
  return {
    id: `event-${subject}-${Math.random().toString(36).slice(2)}`,
    source: '/contract',
    type: 'contract.event',
    specversion: '1.0' as const,
    time: '2031-03-04T05:06:07.000Z',
    datacontenttype: 'application/json',
    subject,
    data,
  };
}
