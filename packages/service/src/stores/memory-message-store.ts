import { PlaytallyError } from '@playtally/core';
import type { NewMessage, StoredMessage } from '../domain/message.js';
import type { Page, PageRequest } from '../domain/page.js';
import type { MessageStore } from '../ports/message-store.js';
import { NewestFirstIndex } from './newest-first-index.js';
import { decodePageCursor, resolvePageLimit } from './page-cursor.js';
import { normalizeTimestamp } from './timestamp.js';

/**
 * A {@link MessageStore} in process memory: for tests and single-process demos. Values go in and
 * out as deep copies; each method runs to completion without yielding, so "first insert wins"
 * and "first `markConsumed` wins" hold under any interleaving of concurrent calls.
 *
 * @example
 * ```ts
 * import { createMemoryMessageStore } from '@playtally/core';
 * const messages = createMemoryMessageStore();
 * await messages.insert({ id: 'm1', type: 'message', source: '/api', data: { hello: 'world' }, receivedAt: new Date().toISOString() });
 * ```
 */
export function createMemoryMessageStore(): MessageStore {
  const messages = new Map<string, StoredMessage>();
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

  return {
    async insert(message: NewMessage): Promise<StoredMessage> {
      assertOpen();
      return structuredClone(messages.get(message.id) ?? store(message, null));
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

    async close(): Promise<void> {
      closed = true;
    },
  };
}
