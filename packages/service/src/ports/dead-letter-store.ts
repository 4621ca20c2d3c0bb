import type { DeadLetter, NewDeadLetter } from '../domain/dead-letter.js';
import type { Page, PageRequest } from '../domain/page.js';

/** Paging and filtering of {@link DeadLetterStore.list}. */
export interface DeadLetterListRequest extends PageRequest {
  /** Only dead letters of this (original) topic. */
  topic?: string;
}

/** How many dead letters of one topic and group wait for a person. */
export interface PendingDeadLetters {
  readonly topic: string;
  readonly group: string | null;
  readonly count: number;
}

/**
 * Persists dead letters. Implementations: `createMemoryDeadLetterStore()` here, SQLite and
 * PostgreSQL in `@playtally/store-sql` (`stores.deadLetters`); all pass
 * `describeDeadLetterStoreContract`. Safe to call concurrently. Its lifetime is its owner's
 * (the SQL stores close it with the database).
 */
export interface DeadLetterStore {
  /**
   * Records a dead letter. A pending record with the same id is kept as it is (a redelivered
   * dead letter); a replayed one is reopened: pending again, with the new reason, attempts and
   * time. Returns the stored record.
   */
  record(deadLetter: NewDeadLetter): Promise<DeadLetter>;

  get(id: string): Promise<DeadLetter | undefined>;

  /** Dead letters newest first (`deadLetteredAt` desc, then id desc), optionally of one topic. */
  list(request?: DeadLetterListRequest): Promise<Page<DeadLetter>>;

  /**
   * Marks a pending dead letter replayed at `at` and returns it; `undefined` when it is unknown
   * or already replayed (the first caller wins, across processes too).
   */
  markReplayed(id: string, at: string): Promise<DeadLetter | undefined>;

  /** Undoes {@link markReplayed} when publishing the replay failed. */
  unmarkReplayed(id: string, at: string): Promise<void>;

  /** Pending dead letters per topic and group (groups without any are absent). */
  countPending(): Promise<readonly PendingDeadLetters[]>;

  /** Deletes it; returns whether it existed. */
  delete(id: string): Promise<boolean>;
}
