import { PlaytallyError } from '@playtally/core';
import type { NewMessage, StoredMessage } from '../domain/message.js';
import type { IdempotentResult } from '../domain/outbox.js';
import type { Page, PageRequest } from '../domain/page.js';
import type {
  ConsumedMark,
  InsertedMessage,
  MarkedMessage,
  MessageStore,
  MessageWrite,
} from '../ports/message-store.js';
import { createMemoryOutboxStore, type MemoryOutboxStore } from './memory-outbox-store.js';
import { NewestFirstIndex } from './newest-first-index.js';
import { decodePageCursor, resolvePageLimit } from './page-cursor.js';
import { normalizeTimestamp } from './timestamp.js';

/** Options of {@link createMemoryMessageStore}. */
export interface MemoryMessageStoreOptions {
  /** The outbox its writes add events to; share one with the job store. @default a new one */
  outbox?: MemoryOutboxStore;
}

/**
 * A {@link MessageStore} in process memory: for tests and single-process demos. Values go in and
 * out as deep copies; each method runs to completion without yielding, so "first insert wins",
 * "first `markConsumed` wins" and "a row with its outbox events" hold under any interleaving.
 *
 * @example
 * ```ts
 * import { createMemoryMessageStore } from '@playtally/service';
 * const messages = createMemoryMessageStore();
 * await messages.insert({ id: 'm1', type: 'message', source: '/api', data: { hello: 'world' }, receivedAt: new Date().toISOString() });
 * ```
 */
export function createMemoryMessageStore(options: MemoryMessageStoreOptions = {}): MessageStore {
  const outbox = options.outbox ?? createMemoryOutboxStore();
  const messages = new Map<string, StoredMessage>();
  /** When the reconciler last republished a message. */
  const republished = new Map<string, string>();
  const keys = new Map<string, IdempotentResult>();
  const order = new NewestFirstIndex();
  let closed = false;

  const assertOpen = (): void => {
    if (closed) throw new PlaytallyError('STORE_ERROR', 'memory message store is closed');
  };

  const store = (message: NewMessage, consumedAt: string | null): StoredMessage => {
    const stored: StoredMessage = {
      id: message.id,
      type: message.type,
      source: message.source,
      data: structuredClone(message.data),
      status: consumedAt === null ? 'received' : 'consumed',
      receivedAt: normalizeTimestamp(message.receivedAt, 'receivedAt'),
      consumedAt,
    };
    messages.set(stored.id, stored);
    order.insert({ at: stored.receivedAt, id: stored.id });
    return stored;
  };

  const isStale = (message: StoredMessage, before: string): boolean =>
    message.status === 'received' && (republished.get(message.id) ?? message.receivedAt) < before;

  const insertMany = (writes: readonly MessageWrite[]): InsertedMessage[] => {
    assertOpen();
    // Checked first, so a conflict leaves the whole batch unwritten, as a rolled-back
    // transaction would.
    const seen = new Set<string>();
    for (const { idempotency } of writes) {
      if (idempotency === undefined) continue;
      if (keys.has(idempotency.key) || seen.has(idempotency.key)) {
        throw new PlaytallyError('CONFLICT', 'the idempotency key is already used', {
          details: { idempotencyKey: idempotency.key },
        });
      }
      seen.add(idempotency.key);
    }
    for (const { message } of writes) normalizeTimestamp(message.receivedAt, 'receivedAt');
    return writes.map(({ message, outbox: events = [], idempotency }) => {
      const existing = messages.get(message.id);
      if (existing !== undefined) return { message: structuredClone(existing), created: false };
      const stored = store(message, null);
      if (idempotency !== undefined) {
        keys.set(idempotency.key, { fingerprint: idempotency.fingerprint, resourceId: stored.id });
      }
      outbox.enqueue(events);
      return { message: structuredClone(stored), created: true };
    });
  };

  return {
    outbox,

    async insert(message, writeOptions = {}) {
      const [inserted] = insertMany([{ ...writeOptions, message }]);
      return inserted!.message;
    },

    async insertMany(writes) {
      return insertMany(writes);
    },

    async markConsumed(id: string, at: string, fallback: NewMessage): Promise<StoredMessage> {
      assertOpen();
      const consumedAt = normalizeTimestamp(at, 'consumedAt');
      const current = messages.get(id);
      if (current === undefined) return structuredClone(store({ ...fallback, id }, consumedAt));
      if (current.status === 'consumed') return structuredClone(current);
      const consumed: StoredMessage = { ...current, status: 'consumed', consumedAt };
      messages.set(id, consumed);
      return structuredClone(consumed);
    },

    async markConsumedMany(marks: readonly ConsumedMark[]): Promise<readonly MarkedMessage[]> {
      assertOpen();
      const consumedAts = marks.map((mark) => normalizeTimestamp(mark.at, 'consumedAt'));
      return marks.map((mark, index) => {
        const consumedAt = consumedAts[index]!;
        const current = messages.get(mark.id);
        if (current?.status === 'consumed') {
          return { message: structuredClone(current), changed: false };
        }
        const consumed =
          current === undefined
            ? store({ ...mark.fallback, id: mark.id }, consumedAt)
            : { ...current, status: 'consumed' as const, consumedAt };
        messages.set(mark.id, consumed);
        return { message: structuredClone(consumed), changed: true };
      });
    },

    async get(id: string): Promise<StoredMessage | undefined> {
      assertOpen();
      const message = messages.get(id);
      return message === undefined ? undefined : structuredClone(message);
    },

    async list(request: PageRequest = {}): Promise<Page<StoredMessage>> {
      assertOpen();
      const limit = resolvePageLimit(request.limit);
      const page = order.page(decodePageCursor(request.cursor), limit);
      return {
        items: page.items.map((id) => structuredClone(messages.get(id)!)),
        nextCursor: page.nextCursor,
      };
    },

    async listStale(before, limit) {
      assertOpen();
      return [...messages.values()]
        .filter((message) => isStale(message, before))
        .sort((a, b) => a.receivedAt.localeCompare(b.receivedAt))
        .slice(0, limit)
        .map((message) => structuredClone(message));
    },

    async requeueStale(id, before, at, events) {
      assertOpen();
      const message = messages.get(id);
      if (message === undefined || !isStale(message, before)) return undefined;
      republished.set(id, normalizeTimestamp(at, 'at'));
      outbox.enqueue(events);
      return structuredClone(message);
    },

    async findIdempotencyKey(key) {
      assertOpen();
      const found = keys.get(key);
      return found === undefined ? undefined : { ...found };
    },

    async close(): Promise<void> {
      closed = true;
    },
  };
}
