import type { InsertedMessage, MessageStore, MessageWrite } from '../ports/message-store.js';

/** Writes of one turn of the event loop, committed together: {@link createCommitBatcher}. */
export interface CommitBatcher {
  /** Resolves once `write` is committed (with the others of its batch). */
  write(write: MessageWrite): Promise<InsertedMessage>;
}

interface Pending {
  readonly write: MessageWrite;
  resolve(value: InsertedMessage): void;
  reject(error: unknown): void;
}

/**
 * Group commit for posted messages: every write queued in the same turn of the event loop goes
 * into one `insertMany` (one transaction, one multi-row insert of the messages and one of their
 * outbox events), up to `maxBatch` at a time. Concurrent requests then share the cost of a
 * commit instead of paying one each. If a batch fails, each of its writes is tried again alone,
 * so an error reaches only the request it belongs to.
 */
export function createCommitBatcher(messages: MessageStore, maxBatch = 100): CommitBatcher {
  let queue: Pending[] = [];
  let scheduled = false;

  const commit = async (batch: readonly Pending[]): Promise<void> => {
    try {
      const inserted = await messages.insertMany(batch.map((pending) => pending.write));
      for (const [index, pending] of batch.entries()) pending.resolve(inserted[index]!);
    } catch (error) {
      if (batch.length === 1) return batch[0]!.reject(error);
      await Promise.all(batch.map((pending) => commit([pending])));
    }
  };

  const flush = (): void => {
    scheduled = false;
    const taken = queue;
    queue = [];
    for (let at = 0; at < taken.length; at += maxBatch) {
      void commit(taken.slice(at, at + maxBatch));
    }
  };

  return {
    write(write) {
      return new Promise<InsertedMessage>((resolve, reject) => {
        queue.push({ write, resolve, reject });
        if (scheduled) return;
        scheduled = true;
        setImmediate(flush);
      });
    },
  };
}
