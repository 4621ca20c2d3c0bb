import type { NewMessage, StoredMessage } from '../domain/message.js';
import type { IdempotentResult, OutgoingEvent, WriteOptions } from '../domain/outbox.js';
import type { Page, PageRequest } from '../domain/page.js';
import type { OutboxStore } from './outbox-store.js';

/** One message of {@link MessageStore.insertMany}, with what commits alongside it. */
export interface MessageWrite extends WriteOptions {
  readonly message: NewMessage;
}

/** The outcome of one {@link MessageWrite}. */
export interface InsertedMessage {
  readonly message: StoredMessage;
  /** False when a message with that id already existed (nothing was written for it). */
  readonly created: boolean;
}

/** One message of {@link MessageStore.markConsumedMany}: as {@link MessageStore.markConsumed} takes it. */
export interface ConsumedMark {
  readonly id: string;
  /** When it was consumed (ISO 8601). */
  readonly at: string;
  /** Inserted as consumed when no message has this id. */
  readonly fallback: NewMessage;
}

/** The outcome of one {@link ConsumedMark}. */
export interface MarkedMessage {
  readonly message: StoredMessage;
  /** False when the message was consumed already (this mark changed nothing). */
  readonly changed: boolean;
}

/**
 * Persists JSON messages. Implementations: `createMemoryMessageStore()` here, SQLite and
 * PostgreSQL in `@playtally/store-sql`; all pass `describeMessageStoreContract`.
 *
 * Idempotent by id: inserting an id twice keeps the first and returns it, so a redelivered
 * message is stored once, and the outbox events of a duplicate are not written again. Safe to
 * call concurrently.
 */
export interface MessageStore {
  /** Where {@link WriteOptions.outbox} events go; a relay publishes them. */
  readonly outbox: OutboxStore;

  /**
   * Stores a `received` message with its outbox events and idempotency key in one transaction,
   * or returns the existing one with that id. Rejects with `CONFLICT` (details:
   * `{ idempotencyKey }`) when the key is already recorded.
   */
  insert(message: NewMessage, options?: WriteOptions): Promise<StoredMessage>;

  /**
   * Stores many messages in one transaction (group commit), each as {@link insert} would, and
   * returns them in order. A `CONFLICT` on any idempotency key rejects the whole batch.
   */
  insertMany(writes: readonly MessageWrite[]): Promise<readonly InsertedMessage[]>;

  /**
   * Marks the message consumed at `at` (first call wins; later calls return the same record).
   * If the id is unknown (a producer published it without the API) the message is inserted as
   * consumed from `fallback`. Returns the stored record.
   */
  markConsumed(id: string, at: string, fallback: NewMessage): Promise<StoredMessage>;

  /**
   * {@link markConsumed} for many messages in one transaction (the consumer's group commit),
   * returning them in order with whether each mark changed anything. Of several marks of one
   * id, the first wins.
   */
  markConsumedMany(marks: readonly ConsumedMark[]): Promise<readonly MarkedMessage[]>;

  get(id: string): Promise<StoredMessage | undefined>;

  /** Messages newest first (`receivedAt` desc, then id desc). */
  list(request?: PageRequest): Promise<Page<StoredMessage>>;

  /**
   * `received` messages neither received nor republished since `before` (ISO 8601), oldest
   * first: the reconciler publishes them again.
   */
  listStale(before: string, limit: number): Promise<readonly StoredMessage[]>;

  /**
   * If the message still matches {@link listStale}, records it as republished at `at` and
   * commits `outbox` with it. Returns the message, or `undefined` when it no longer matches.
   */
  requeueStale(
    id: string,
    before: string,
    at: string,
    outbox: readonly OutgoingEvent[],
  ): Promise<StoredMessage | undefined>;

  /** The message an idempotency key created, with the fingerprint of its request. */
  findIdempotencyKey(key: string): Promise<IdempotentResult | undefined>;

  /** Releases connections. Idempotent. */
  close(): Promise<void>;
}
