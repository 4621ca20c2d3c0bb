import type { InsertedMessage, MessageStore, MessageWrite } from '../ports/message-store.js';
import { createTickBatcher } from './tick-batcher.js';

/** Writes of one turn of the event loop, committed together: {@link createCommitBatcher}. */
export interface CommitBatcher {
  /**
   * Resolves once `write` is committed (with the others of its batch). Rejects at once with
   * `BACKLOG_FULL` (503) while `maxPending` writes wait for the database already.
   */
  write(write: MessageWrite): Promise<InsertedMessage>;
  /** Writes queued or being committed now. */
  pending(): number;
}

/** Options of {@link createCommitBatcher}. */
export interface CommitBatcherOptions {
  /** Most writes per transaction. @default 100 */
  maxBatch?: number;
  /** Most writes waiting for the database before new ones are refused. @default unbounded */
  maxPending?: number;
}

/**
 * Group commit for posted messages: every write queued in the same turn of the event loop goes
 * into one `insertMany` (one transaction, one multi-row insert of the messages and one of their
 * outbox events), up to `maxBatch` at a time. Concurrent requests then share the cost of a
 * commit instead of paying one each. If a batch fails, each of its writes is tried again alone,
 * so an error reaches only the request it belongs to.
 */
export function createCommitBatcher(
  messages: MessageStore,
  options: CommitBatcherOptions = {},
): CommitBatcher {
  const batcher = createTickBatcher<MessageWrite, InsertedMessage>({
    run: (writes) => messages.insertMany(writes),
    component: 'database',
    ...options,
  });
  return { write: (write) => batcher.add(write), pending: () => batcher.pending() };
}
