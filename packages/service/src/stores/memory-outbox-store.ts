import { v7 as uuidv7 } from 'uuid';
import type { OutboxEntry, OutgoingEvent } from '../domain/outbox.js';
import type { ClaimOutboxOptions, OutboxStore } from '../ports/outbox-store.js';

/** Options of {@link createMemoryOutboxStore}. */
export interface MemoryOutboxStoreOptions {
  /** The clock leases and delays are measured with. @default () => new Date() */
  now?: () => Date;
}

/**
 * The outbox the memory stores write to. `enqueue` is synchronous, so a memory store adds its
 * events in the same uninterrupted step as its row: within the process, a row and its events
 * exist together or not at all, the guarantee a database transaction gives the SQL stores.
 */
export interface MemoryOutboxStore extends OutboxStore {
  /** Adds events at once, in order. */
  enqueue(events: readonly OutgoingEvent[]): void;
}

interface Slot {
  entry: OutboxEntry;
  /** Epoch ms from which it may be claimed. */
  availableAt: number;
}

/**
 * An {@link OutboxStore} in process memory, for tests and the single-process demo (pending
 * events vanish with the process, as the memory stores' rows do). Pass one to
 * `createMemoryJobStore` and `createMemoryMessageStore` so that both write to it.
 *
 * @example
 * ```ts
 * import { createMemoryOutboxStore, createMemoryJobStore, createMemoryMessageStore } from '@playtally/service';
 * const outbox = createMemoryOutboxStore();
 * const jobs = createMemoryJobStore({ outbox });
 * const messages = createMemoryMessageStore({ outbox });
 * ```
 */
export function createMemoryOutboxStore(options: MemoryOutboxStoreOptions = {}): MemoryOutboxStore {
  const now = options.now ?? (() => new Date());
  const slots = new Map<string, Slot>();

  return {
    enqueue(events) {
      const createdAt = now().toISOString();
      for (const event of events) {
        const id = event.entryId ?? uuidv7();
        const entry: OutboxEntry = {
          id,
          topic: event.topic,
          event: structuredClone(event.event),
          ...(event.key === undefined ? {} : { key: event.key }),
          attempts: 0,
          createdAt,
        };
        slots.set(id, { entry, availableAt: event.claimedUntil ?? 0 });
      }
    },

    async claim({ limit, leaseMs }: ClaimOutboxOptions) {
      const at = now().getTime();
      const claimed: OutboxEntry[] = [];
      for (const slot of slots.values()) {
        if (claimed.length >= limit) break;
        if (slot.availableAt > at) continue;
        slot.entry = { ...slot.entry, attempts: slot.entry.attempts + 1 };
        slot.availableAt = at + leaseMs;
        claimed.push(structuredClone(slot.entry));
      }
      return claimed;
    },

    async complete(ids) {
      for (const id of ids) slots.delete(id);
    },

    async retry(ids, delayMs) {
      const at = now().getTime() + delayMs;
      for (const id of ids) {
        const slot = slots.get(id);
        if (slot !== undefined) slot.availableAt = at;
      }
    },

    async pending() {
      return slots.size;
    },

    async oldestPending() {
      for (const slot of slots.values()) return slot.entry.createdAt;
      return null;
    },
  };
}
