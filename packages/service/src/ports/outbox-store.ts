import type { OutboxEntry } from '../domain/outbox.js';

/** Options of {@link OutboxStore.claim}. */
export interface ClaimOutboxOptions {
  /** Most entries to claim. */
  readonly limit: number;
  /** How long claimed entries stay hidden from other claimers (the relay's publish budget). */
  readonly leaseMs: number;
}

/**
 * The transactional outbox: events written by the job and message stores in the same
 * transaction as their rows, waiting to be published. Implementations: the memory outbox here
 * (shared by the memory stores), SQLite and PostgreSQL in `@playtally/store-sql`; all pass
 * `describeOutboxContract`.
 *
 * Entries are claimed oldest first. A claimed entry is invisible to other claimers until its
 * lease runs out, then claimable again: a relay that dies mid-publish loses nothing, and an
 * entry may be published more than once (consumers deduplicate by event id). On PostgreSQL
 * concurrent claimers skip each other's rows (`FOR UPDATE SKIP LOCKED`). Safe to call
 * concurrently.
 */
export interface OutboxStore {
  /** Claims up to `limit` available entries for `leaseMs`, incrementing their attempts. */
  claim(options: ClaimOutboxOptions): Promise<readonly OutboxEntry[]>;
  /** Removes published entries. Unknown ids are ignored. */
  complete(ids: readonly string[]): Promise<void>;
  /** Makes claimed entries available again after `delayMs` (a failed publish). */
  retry(ids: readonly string[], delayMs: number): Promise<void>;
  /** How many entries wait, claimed or not. */
  pending(): Promise<number>;
  /**
   * When the oldest waiting entry was written (ISO 8601), or `null` when none waits. Whatever
   * was committed before it has been published; the reconciler republishes nothing newer.
   */
  oldestPending(): Promise<string | null>;
}
