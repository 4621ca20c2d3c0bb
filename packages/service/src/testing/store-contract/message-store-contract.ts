import { randomUUID } from 'node:crypto';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { NewMessage, StoredMessage } from '../../domain/message.js';
import type { MessageStore } from '../../ports/message-store.js';
import { compareNewestFirst } from '../../stores/page-cursor.js';
import { collectPages } from './contract-clock.js';
import { describeMessageOutboxCases } from './message-outbox-cases.js';

/** Makes a fresh, empty store for one test. The suite closes it afterwards. */
export type MessageStoreFactory = () => MessageStore | Promise<MessageStore>;

const BASE_TIME = Date.parse('2031-03-04T05:06:07.000Z');

/** A message to store; `id` defaults to a fresh UUID, `receivedAt` to a fixed instant plus `offsetMs`. */
export function sampleNewMessage(overrides: Partial<NewMessage> = {}, offsetMs = 0): NewMessage {
  return {
    id: randomUUID(),
    type: 'message',
    source: '/playtally/api',
    data: { text: 'hello', nested: { list: [1, 2.5, 'three', null, true], emoji: '🎵' } },
    receivedAt: new Date(BASE_TIME + offsetMs).toISOString(),
    ...overrides,
  };
}

const at = (offsetMs: number): string => new Date(BASE_TIME + offsetMs).toISOString();

/**
 * The behaviour every {@link MessageStore} must show, as a vitest suite: round trips, insert
 * idempotent by id (first wins, also concurrently), `markConsumed` first-wins with its fallback
 * insert, newest-first keyset pagination with ties, messages committed with their outbox events
 * and idempotency keys (one by one and in batches), the reconciler's queries, idempotent
 * `close`.
 *
 * @example
 * ```ts
 * import { describeMessageStoreContract } from '@playtally/service/testing';
 * import { createMemoryMessageStore } from '@playtally/core';
 * describeMessageStoreContract('memory', () => createMemoryMessageStore());
 * ```
 */
export function describeMessageStoreContract(name: string, factory: MessageStoreFactory): void {
  describe(`${name}: MessageStore contract`, () => {
    let store: MessageStore;

    beforeEach(async () => {
      store = await factory();
    });

    afterEach(async () => {
      await store.close();
    });

    it('stores a received message and reads it back unchanged', async () => {
      const input = sampleNewMessage({
        type: 'footage.prediction',
        data: { deep: { a: [{ b: 'c' }], n: -0.125, big: 9007199254740991, s: 'é"\n\\' } },
      });
      const stored = await store.insert(input);
      expect(stored).toEqual({ ...input, status: 'received', consumedAt: null });
      expect(await store.get(input.id)).toEqual(stored);
    });

    it('returns undefined for an unknown id', async () => {
      expect(await store.get('no-such-message')).toBeUndefined();
    });

    it('keeps the first insert of an id and returns it on later inserts', async () => {
      const first = await store.insert(sampleNewMessage({ id: 'm1', data: { n: 1 } }));
      const second = await store.insert(sampleNewMessage({ id: 'm1', data: { n: 2 } }, 5));
      expect(second).toEqual(first);
      expect(await store.get('m1')).toEqual(first);
      expect((await store.list()).items).toHaveLength(1);
    });

    it('stores one message when the same id is inserted concurrently', async () => {
      const results = await Promise.all(
        Array.from({ length: 10 }, (_, n) =>
          store.insert(sampleNewMessage({ id: 'm1', data: { n } })),
        ),
      );
      const stored = await store.get('m1');
      for (const result of results) expect(result).toEqual(stored);
      expect((await store.list()).items).toHaveLength(1);
    });

    it('hands out copies: mutating returned data does not change the stored message', async () => {
      const stored = await store.insert(sampleNewMessage({ data: { list: [1] } }));
      (stored.data.list as number[]).push(2);
      expect((await store.get(stored.id))?.data).toEqual({ list: [1] });
    });

    it('marks a received message consumed, and the first call wins', async () => {
      const input = sampleNewMessage();
      await store.insert(input);
      const consumed = await store.markConsumed(input.id, at(100), input);
      expect(consumed).toEqual({ ...input, status: 'consumed', consumedAt: at(100) });
      const again = await store.markConsumed(input.id, at(900), input);
      expect(again).toEqual(consumed);
      expect(await store.get(input.id)).toEqual(consumed);
    });

    it('inserts an unknown message as consumed from the fallback', async () => {
      const fallback = sampleNewMessage({ data: { from: 'consumer' } }, 20);
      const consumed = await store.markConsumed(fallback.id, at(50), fallback);
      expect(consumed).toEqual({ ...fallback, status: 'consumed', consumedAt: at(50) });
      expect(await store.get(fallback.id)).toEqual(consumed);
      const late = await store.insert({ ...fallback, data: { from: 'api' } });
      expect(late).toEqual(consumed);
    });

    it('settles concurrent markConsumed calls on one record', async () => {
      const known = sampleNewMessage();
      await store.insert(known);
      const unknown = sampleNewMessage({}, 1);
      for (const message of [known, unknown]) {
        const results = await Promise.all(
          Array.from({ length: 8 }, (_, n) =>
            store.markConsumed(message.id, at(1000 + n), message),
          ),
        );
        const stored = await store.get(message.id);
        expect(stored?.status).toBe('consumed');
        expect(Array.from({ length: 8 }, (_, n) => at(1000 + n))).toContain(stored?.consumedAt);
        for (const result of results) expect(result).toEqual(stored);
      }
    });

    it('marks a batch consumed in one call: received, unknown, consumed before, repeated', async () => {
      const received = sampleNewMessage({}, 1);
      const done = sampleNewMessage({}, 2);
      const unknown = sampleNewMessage({ data: { from: 'consumer' } }, 3);
      await store.insert(received);
      await store.insert(done);
      const earlier = await store.markConsumed(done.id, at(10), done);
      const results = await store.markConsumedMany([
        { id: received.id, at: at(100), fallback: received },
        { id: done.id, at: at(100), fallback: done },
        { id: unknown.id, at: at(200), fallback: unknown },
        { id: received.id, at: at(300), fallback: received },
      ]);
      const consumedReceived = { ...received, status: 'consumed', consumedAt: at(100) };
      expect(results).toEqual([
        { message: consumedReceived, changed: true },
        { message: earlier, changed: false },
        { message: { ...unknown, status: 'consumed', consumedAt: at(200) }, changed: true },
        { message: consumedReceived, changed: false },
      ]);
      expect(await store.get(received.id)).toEqual(consumedReceived);
      expect(await store.get(unknown.id)).toEqual(results[2]!.message);
      expect(await store.markConsumedMany([])).toEqual([]);
    });

    it('lists an empty store as one empty last page', async () => {
      expect(await store.list()).toEqual({ items: [], nextCursor: null });
    });

    it('lists newest first by receivedAt, 50 per page by default', async () => {
      const inputs = Array.from({ length: 53 }, (_, n) => sampleNewMessage({}, n * 1000));
      for (const input of [...inputs].reverse()) await store.insert(input);
      const first = await store.list();
      expect(first.items.map((message) => message.id)).toEqual(
        inputs
          .slice(3)
          .reverse()
          .map((message) => message.id),
      );
      const second = await store.list({ cursor: first.nextCursor });
      expect(second.items.map((message) => message.id)).toEqual(
        inputs
          .slice(0, 3)
          .reverse()
          .map((message) => message.id),
      );
      expect(second.nextCursor).toBeNull();
    });

    it('pages through messages sharing receivedAt without duplicates or gaps', async () => {
      const inputs = Array.from({ length: 40 }, (_, n) => sampleNewMessage({}, Math.floor(n / 5)));
      await Promise.all(inputs.map((input) => store.insert(input)));
      await store.markConsumed(inputs[3]!.id, at(99), inputs[3]!);
      const expected = [...inputs]
        .sort((a, b) =>
          compareNewestFirst({ at: a.receivedAt, id: a.id }, { at: b.receivedAt, id: b.id }),
        )
        .map((message) => message.id);
      const { items, pages } = await collectPages((request) => store.list(request), 6);
      expect(items.map((message: StoredMessage) => message.id)).toEqual(expected);
      expect(pages).toBe(7);
    });

    it('rejects a cursor it did not make with VALIDATION_FAILED', async () => {
      await expect(store.list({ cursor: '%%%' })).rejects.toMatchObject({
        code: 'VALIDATION_FAILED',
      });
    });

    describeMessageOutboxCases(() => store);

    it('closes idempotently and refuses work afterwards with STORE_ERROR', async () => {
      await store.close();
      await store.close();
      await expect(store.get('any')).rejects.toMatchObject({ code: 'STORE_ERROR' });
    });
  });
}
