import type { DeadLetter, NewDeadLetter } from '../domain/dead-letter.js';
import type { Page } from '../domain/page.js';
import type {
  DeadLetterListRequest,
  DeadLetterStore,
  PendingDeadLetters,
} from '../ports/dead-letter-store.js';
import {
  compareNewestFirst,
  decodePageCursor,
  encodePageCursor,
  resolvePageLimit,
} from './page-cursor.js';
import { normalizeTimestamp } from './timestamp.js';

/**
 * A {@link DeadLetterStore} in process memory, for tests and single-process demos. Values go in
 * and out as deep copies; every method runs without yielding, so "first replay wins" holds.
 *
 * @example
 * ```ts
 * import { createMemoryDeadLetterStore } from '@playtally/service';
 * const deadLetters = createMemoryDeadLetterStore();
 * const page = await deadLetters.list({ topic: 'playtally.messages' });
 * ```
 */
export function createMemoryDeadLetterStore(): DeadLetterStore {
  const letters = new Map<string, DeadLetter>();
  const copy = (letter: DeadLetter | undefined) =>
    letter === undefined ? undefined : structuredClone(letter);

  return {
    async record(input: NewDeadLetter) {
      const existing = letters.get(input.id);
      if (existing?.status === 'pending') return structuredClone(existing);
      const letter: DeadLetter = {
        ...structuredClone(input),
        deadLetteredAt: normalizeTimestamp(input.deadLetteredAt, 'deadLetteredAt'),
        status: 'pending',
        replayedAt: null,
      };
      letters.set(letter.id, letter);
      return structuredClone(letter);
    },

    get: async (id) => copy(letters.get(id)),

    async list(request: DeadLetterListRequest = {}): Promise<Page<DeadLetter>> {
      const limit = resolvePageLimit(request.limit);
      const after = decodePageCursor(request.cursor);
      const position = (letter: DeadLetter) => ({ at: letter.deadLetteredAt, id: letter.id });
      const matching = [...letters.values()]
        .filter((letter) => request.topic === undefined || letter.topic === request.topic)
        .filter((letter) => after === undefined || compareNewestFirst(position(letter), after) > 0)
        .sort((a, b) => compareNewestFirst(position(a), position(b)));
      const items = matching.slice(0, limit);
      const last = items[items.length - 1];
      return {
        items: items.map((letter) => structuredClone(letter)),
        nextCursor:
          matching.length > limit && last !== undefined ? encodePageCursor(position(last)) : null,
      };
    },

    async markReplayed(id, at) {
      const letter = letters.get(id);
      if (letter === undefined || letter.status !== 'pending') return undefined;
      const replayed: DeadLetter = { ...letter, status: 'replayed', replayedAt: at };
      letters.set(id, replayed);
      return structuredClone(replayed);
    },

    async unmarkReplayed(id, at) {
      const letter = letters.get(id);
      if (letter?.status === 'replayed' && letter.replayedAt === at) {
        letters.set(id, { ...letter, status: 'pending', replayedAt: null });
      }
    },

    async countPending() {
      const counts = new Map<string, PendingDeadLetters>();
      for (const { topic, group, status } of letters.values()) {
        if (status !== 'pending') continue;
        const key = JSON.stringify([topic, group]);
        counts.set(key, { topic, group, count: (counts.get(key)?.count ?? 0) + 1 });
      }
      return [...counts.values()];
    },

    delete: async (id) => letters.delete(id),
  };
}
