import type { NewMessage, StoredMessage } from '../domain/message.js';
import type { Page, PageRequest } from '../domain/page.js';

/**
 * Persists JSON messages. Implementations: `createMemoryMessageStore()` here, SQLite and
 * PostgreSQL in `@playtally/store-sql`; all pass `describeMessageStoreContract`.
 *
 * Idempotent by id: inserting an id twice keeps the first and returns it, so a redelivered
 * message is stored once. Safe to call concurrently.
 */
export interface MessageStore {
  /** Stores a `received` message, or returns the existing one with that id. */
  insert(message: NewMessage): Promise<StoredMessage>;

  /**
   * Marks the message consumed at `at` (first call wins; later calls return the same record).
   * If the id is unknown (the consumer saw it before the API stored it, or another API stored
   * it) the message is inserted as consumed from `fallback`. Returns the stored record.
   */
  markConsumed(id: string, at: string, fallback: NewMessage): Promise<StoredMessage>;

  get(id: string): Promise<StoredMessage | undefined>;

  /** Messages newest first (`receivedAt` desc, then id desc). */
  list(request?: PageRequest): Promise<Page<StoredMessage>>;

  /** Releases connections. Idempotent. */
  close(): Promise<void>;
}
