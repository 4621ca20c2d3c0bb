import { describe, expect, it } from 'vitest';
import type { MessageStore } from '../../ports/message-store.js';
import { sampleEvent } from './job-lease-cases.js';
import { sampleNewMessage } from './message-store-contract.js';

/** Messages with their outbox, in batches, and the reconciler: part of the message contract. */
export function describeMessageOutboxCases(store: () => MessageStore): void {
  const eventsOf = async (): Promise<string[]> => {
    const claimed = await store().outbox.claim({ limit: 100, leaseMs: 60_000 });
    return claimed.map((entry) => String(entry.event.subject));
  };

  describe('writes with their outbox', () => {
    it('commits a message with its events, and writes none again for a duplicate id', async () => {
      const input = sampleNewMessage();
      const outbox = [{ topic: 'messages', key: input.id, event: sampleEvent(input.id) }];
      await store().insert(input, { outbox });
      await store().insert({ ...input, data: { other: true } }, { outbox });
      expect(await eventsOf()).toEqual([input.id]);
    });

    it('stores a batch in order, telling which messages were new', async () => {
      const existing = await store().insert(sampleNewMessage());
      const fresh = [sampleNewMessage({}, 1), sampleNewMessage({}, 2)];
      const writes = [fresh[0]!, existing, fresh[1]!].map((message) => ({
        message: { ...message, data: { ...message.data } },
        outbox: [{ topic: 'messages', event: sampleEvent(message.id) }],
      }));
      const inserted = await store().insertMany(writes);
      expect(inserted.map(({ message, created }) => [message.id, created])).toEqual([
        [fresh[0]!.id, true],
        [existing.id, false],
        [fresh[1]!.id, true],
      ]);
      expect(inserted[1]?.message).toEqual(existing);
      expect(await eventsOf()).toEqual([fresh[0]!.id, fresh[1]!.id]);
    });

    it('rejects a whole batch whose idempotency key is taken, writing nothing', async () => {
      const first = await store().insert(sampleNewMessage(), {
        idempotency: { key: 'k', fingerprint: 'f1' },
      });
      expect(await store().findIdempotencyKey('k')).toEqual({
        fingerprint: 'f1',
        resourceId: first.id,
      });
      const batch = [sampleNewMessage({}, 1), sampleNewMessage({}, 2)];
      await expect(
        store().insertMany([
          { message: batch[0]!, outbox: [{ topic: 'm', event: sampleEvent(batch[0]!.id) }] },
          { message: batch[1]!, idempotency: { key: 'k', fingerprint: 'f2' } },
        ]),
      ).rejects.toMatchObject({ code: 'CONFLICT', details: { idempotencyKey: 'k' } });
      expect(await store().get(batch[0]!.id)).toBeUndefined();
      expect(await store().outbox.pending()).toBe(0);
    });
  });

  describe('the reconciler queries', () => {
    it('republishes a message received before the cutoff once per window', async () => {
      const old = await store().insert(sampleNewMessage({}, 0));
      const consumed = await store().insert(sampleNewMessage({}, 0));
      await store().markConsumed(consumed.id, sampleNewMessage({}, 5).receivedAt, consumed);
      await store().insert(sampleNewMessage({}, 60_000));
      const cutoff = sampleNewMessage({}, 30_000).receivedAt;
      const stale = await store().listStale(cutoff, 10);
      expect(stale.map((message) => message.id)).toEqual([old.id]);
      const at = sampleNewMessage({}, 40_000).receivedAt;
      const outbox = [{ topic: 'messages', event: sampleEvent(old.id) }];
      expect(await store().requeueStale(old.id, cutoff, at, outbox)).toEqual(old);
      expect(await store().requeueStale(old.id, cutoff, at, outbox)).toBeUndefined();
      expect(await store().listStale(cutoff, 10)).toEqual([]);
      expect(await store().listStale(sampleNewMessage({}, 50_000).receivedAt, 10)).toEqual([old]);
      expect(await eventsOf()).toEqual([old.id]);
    });
  });
}
