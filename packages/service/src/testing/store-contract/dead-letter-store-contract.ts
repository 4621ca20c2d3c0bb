import { randomUUID } from 'node:crypto';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { NewDeadLetter } from '../../domain/dead-letter.js';
import type { DeadLetterStore } from '../../ports/dead-letter-store.js';
import { compareNewestFirst } from '../../stores/page-cursor.js';

/** A fresh, empty dead-letter store for one test, and how to release it afterwards. */
export type DeadLetterStoreFactory = () => Promise<{
  store: DeadLetterStore;
  close: () => Promise<void>;
}>;

const BASE_TIME = Date.parse('2031-03-04T05:06:07.000Z');

/** A dead letter to record; `id` defaults to a fresh UUID, `deadLetteredAt` to a fixed instant plus `offsetMs`. */
export function sampleNewDeadLetter(
  overrides: Partial<NewDeadLetter> = {},
  offsetMs = 0,
): NewDeadLetter {
  const eventId = randomUUID();
  return {
    id: randomUUID(),
    topic: 'playtally.messages',
    group: 'consumers',
    reason: 'handler refused: "amount" is negative',
    attempts: 5,
    eventId,
    eventType: 'order.placed',
    event: {
      attributes: {
        id: eventId,
        source: '/shop',
        type: 'order.placed',
        specversion: '1.0',
        time: new Date(BASE_TIME).toISOString(),
        datacontenttype: 'application/json',
      },
      bodyBase64: Buffer.from('{"amount":-1,"note":"🎵"}').toString('base64'),
    },
    deadLetteredAt: new Date(BASE_TIME + offsetMs).toISOString(),
    ...overrides,
  };
}

/**
 * The behaviour every {@link DeadLetterStore} must show, as a vitest suite: round trip,
 * recording idempotent for a pending dead letter and reopening a replayed one, first replay
 * wins (also concurrently), undoing a replay, deleting, newest-first keyset pages with a topic
 * filter.
 *
 * @example
 * ```ts
 * import { describeDeadLetterStoreContract } from '@playtally/service/testing';
 * import { createMemoryDeadLetterStore } from '@playtally/service';
 * describeDeadLetterStoreContract('memory', async () => ({ store: createMemoryDeadLetterStore(), close: async () => {} }));
 * ```
 */
export function describeDeadLetterStoreContract(
  name: string,
  factory: DeadLetterStoreFactory,
): void {
  describe(`${name}: DeadLetterStore contract`, () => {
    let store: DeadLetterStore;
    let close: () => Promise<void>;

    beforeEach(async () => {
      ({ store, close } = await factory());
    });

    afterEach(async () => {
      await close();
    });

    it('records a dead letter and reads it back exactly, pending', async () => {
      const input = sampleNewDeadLetter({ group: null });
      const recorded = await store.record(input);
      expect(recorded).toEqual({ ...input, status: 'pending', replayedAt: null });
      expect(await store.get(input.id)).toEqual(recorded);
      expect(await store.get(randomUUID())).toBeUndefined();
    });

    it('keeps the first record of a pending dead letter delivered twice', async () => {
      const input = sampleNewDeadLetter();
      await store.record(input);
      const again = await store.record({
        ...input,
        reason: 'other',
        deadLetteredAt: input.deadLetteredAt,
      });
      expect(again.reason).toBe(input.reason);
      expect((await store.list()).items).toHaveLength(1);
    });

    it('replays once: the second markReplayed finds nothing, also when racing', async () => {
      const input = sampleNewDeadLetter();
      await store.record(input);
      const at = new Date(BASE_TIME + 1000).toISOString();
      const results = await Promise.all([
        store.markReplayed(input.id, at),
        store.markReplayed(input.id, at),
      ]);
      expect(results.filter((result) => result !== undefined)).toEqual([
        { ...input, status: 'replayed', replayedAt: at },
      ]);
      expect(await store.markReplayed(input.id, at)).toBeUndefined();
      expect(await store.markReplayed(randomUUID(), at)).toBeUndefined();
    });

    it('undoes a replay that could not be published, and only that one', async () => {
      const input = sampleNewDeadLetter();
      await store.record(input);
      const at = new Date(BASE_TIME + 1000).toISOString();
      await store.markReplayed(input.id, at);
      await store.unmarkReplayed(input.id, new Date(BASE_TIME + 2000).toISOString());
      expect((await store.get(input.id))?.status).toBe('replayed');
      await store.unmarkReplayed(input.id, at);
      expect(await store.get(input.id)).toEqual({ ...input, status: 'pending', replayedAt: null });
    });

    it('reopens a replayed dead letter that is dead-lettered again', async () => {
      const input = sampleNewDeadLetter();
      await store.record(input);
      await store.markReplayed(input.id, new Date(BASE_TIME + 1000).toISOString());
      const again = {
        ...input,
        reason: 'still negative',
        attempts: 3,
        deadLetteredAt: new Date(BASE_TIME + 2000).toISOString(),
      };
      expect(await store.record(again)).toEqual({ ...again, status: 'pending', replayedAt: null });
    });

    it('counts pending dead letters per topic and group', async () => {
      const first = sampleNewDeadLetter();
      await store.record(first);
      await store.record(sampleNewDeadLetter());
      await store.record(sampleNewDeadLetter({ topic: 'playtally.jobs', group: 'workers' }));
      await store.record(sampleNewDeadLetter({ topic: 'playtally.jobs', group: null }));
      const replayed = sampleNewDeadLetter({ topic: 'other', group: 'g' });
      await store.record(replayed);
      await store.markReplayed(replayed.id, new Date(BASE_TIME).toISOString());
      const counts = await store.countPending();
      const key = (c: { topic: string; group: string | null }) => `${c.topic}/${c.group}`;
      expect([...counts].sort((a, b) => key(a).localeCompare(key(b)))).toEqual([
        { topic: 'playtally.jobs', group: null, count: 1 },
        { topic: 'playtally.jobs', group: 'workers', count: 1 },
        { topic: 'playtally.messages', group: 'consumers', count: 2 },
      ]);
    });

    it('deletes, and says whether there was anything to delete', async () => {
      const input = sampleNewDeadLetter();
      await store.record(input);
      expect(await store.delete(input.id)).toBe(true);
      expect(await store.delete(input.id)).toBe(false);
      expect(await store.get(input.id)).toBeUndefined();
    });

    it('lists newest first in keyset pages, ties broken by id, filtered by topic', async () => {
      const letters: NewDeadLetter[] = [];
      for (let n = 0; n < 7; n += 1) {
        const topic = n % 2 === 0 ? 'playtally.jobs' : 'playtally.messages';
        // Two share each instant, so ties are broken by id.
        letters.push(sampleNewDeadLetter({ topic }, Math.floor(n / 2) * 1000));
      }
      for (const letter of letters) await store.record(letter);
      const expected = (topic?: string) =>
        letters
          .filter((letter) => topic === undefined || letter.topic === topic)
          .sort((a, b) =>
            compareNewestFirst(
              { at: a.deadLetteredAt, id: a.id },
              { at: b.deadLetteredAt, id: b.id },
            ),
          )
          .map((letter) => letter.id);
      for (const topic of [undefined, 'playtally.jobs', 'playtally.messages']) {
        const seen: string[] = [];
        let cursor: string | null = null;
        do {
          const page = await store.list({ limit: 2, cursor, ...(topic ? { topic } : {}) });
          expect(page.items.length).toBeLessThanOrEqual(2);
          seen.push(...page.items.map((letter) => letter.id));
          cursor = page.nextCursor;
        } while (cursor !== null);
        expect(seen).toEqual(expected(topic));
      }
      expect((await store.list({ topic: 'nothing.here' })).items).toEqual([]);
    });
  });
}
