import { describe, expect, it } from 'vitest';
import { sampleEvent } from './job-lease-cases.js';
import type { JobStoreCaseContext } from './job-store-cases.js';
import { sampleNewJob } from './job-store-contract.js';

/** The outbox itself, filled through the job store: part of the job store contract. */
export function describeOutboxCases({ store, clock }: JobStoreCaseContext): void {
  const fill = async (count: number): Promise<string[]> => {
    const subjects: string[] = [];
    for (let n = 0; n < count; n += 1) {
      const input = sampleNewJob();
      subjects.push(input.id);
      await store().create(input, { outbox: [{ topic: 'jobs', event: sampleEvent(input.id) }] });
    }
    return subjects;
  };

  describe('the outbox', () => {
    it('hands out entries oldest first and hides claimed ones until their lease ends', async () => {
      const subjects = await fill(5);
      const first = await store().outbox.claim({ limit: 3, leaseMs: 1000 });
      expect(first.map((entry) => entry.event.subject)).toEqual(subjects.slice(0, 3));
      const second = await store().outbox.claim({ limit: 3, leaseMs: 1000 });
      expect(second.map((entry) => entry.event.subject)).toEqual(subjects.slice(3));
      expect(await store().outbox.claim({ limit: 3, leaseMs: 1000 })).toEqual([]);
      clock().advance(1001);
      const again = await store().outbox.claim({ limit: 10, leaseMs: 1000 });
      expect(again.map((entry) => entry.attempts)).toEqual([2, 2, 2, 2, 2]);
    });

    it('removes completed entries and counts the rest as pending', async () => {
      await fill(3);
      expect(await store().outbox.pending()).toBe(3);
      const claimed = await store().outbox.claim({ limit: 2, leaseMs: 1000 });
      await store().outbox.complete(claimed.map((entry) => entry.id));
      await store().outbox.complete(['unknown-entry']);
      expect(await store().outbox.pending()).toBe(1);
      clock().advance(2000);
      expect(await store().outbox.claim({ limit: 10, leaseMs: 1000 })).toHaveLength(1);
    });

    it('tells when the oldest waiting entry was written', async () => {
      expect(await store().outbox.oldestPending()).toBeNull();
      const first = clock().now().toISOString();
      await fill(1);
      clock().advance(10);
      await fill(1);
      expect(await store().outbox.oldestPending()).toBe(first);
      const [oldest] = await store().outbox.claim({ limit: 1, leaseMs: 1000 });
      await store().outbox.complete([oldest!.id]);
      expect(await store().outbox.oldestPending()).toBe(clock().now().toISOString());
    });

    it('offers a retried entry again after its delay', async () => {
      await fill(1);
      const [entry] = await store().outbox.claim({ limit: 1, leaseMs: 60_000 });
      await store().outbox.retry([entry!.id], 500);
      expect(await store().outbox.claim({ limit: 1, leaseMs: 1000 })).toEqual([]);
      clock().advance(501);
      expect(await store().outbox.claim({ limit: 1, leaseMs: 1000 })).toMatchObject([
        { id: entry!.id, attempts: 2 },
      ]);
    });

    it('never hands one entry to two concurrent claimers', async () => {
      await fill(30);
      const rounds = await Promise.all(
        Array.from({ length: 6 }, () => store().outbox.claim({ limit: 7, leaseMs: 60_000 })),
      );
      const ids = rounds.flat().map((entry) => entry.id);
      expect(ids).toHaveLength(30);
      expect(new Set(ids).size).toBe(30);
    });
  });
}
