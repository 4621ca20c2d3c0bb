import {
  type MessageStore,
  type NewMessage,
  normalizeTimestamp,
  type PageRequest,
} from '@playtally/service';
import type { Kysely } from 'kysely';
import type { Database } from './database.js';
import { listNewestFirst } from './keyset-page.js';
import { messageFromRow, messageRow } from './row-mapping.js';
import { createClosedFlag, storeOperation } from './store-errors.js';

/** What {@link createSqlMessageStore} needs from the code that owns the database. */
export interface SqlMessageStoreContext {
  readonly db: Kysely<Database>;
  /** Names the store in errors, e.g. `postgres message store`. */
  readonly label: string;
  /** Called once, on the first `close()`. */
  readonly release: () => Promise<void>;
}

/**
 * The {@link MessageStore} over Kysely. Idempotence lives in the database: inserts are
 * `INSERT … ON CONFLICT (id) DO NOTHING`, and `markConsumed` is the fallback insert, else a
 * conditional `UPDATE … WHERE status = 'received'`, else a read, so the first writer wins
 * whatever the interleaving, across processes too.
 */
export function createSqlMessageStore(context: SqlMessageStoreContext): MessageStore {
  const { db, label, release } = context;
  const state = createClosedFlag(label);
  const run = <T>(operation: string, action: () => Promise<T>): Promise<T> =>
    storeOperation(label, operation, async () => {
      state.assertOpen();
      return action();
    });

  const insertIfAbsent = async (message: NewMessage, consumedAt: string | null) =>
    db
      .insertInto('messages')
      .values(messageRow(message, consumedAt))
      .onConflict((conflict) => conflict.column('id').doNothing())
      .returningAll()
      .executeTakeFirst();

  const read = async (id: string) =>
    db.selectFrom('messages').selectAll().where('id', '=', id).executeTakeFirst();

  return {
    insert: (message: NewMessage) =>
      run(`insert message ${message.id}`, async () => {
        const row = (await insertIfAbsent(message, null)) ?? (await read(message.id));
        if (row === undefined) throw new Error(`message ${message.id} vanished after insert`);
        return messageFromRow(row);
      }),

    markConsumed: (id: string, at: string, fallback: NewMessage) =>
      run(`mark message ${id} consumed`, async () => {
        const consumedAt = normalizeTimestamp(at, 'consumedAt');
        const row =
          (await insertIfAbsent({ ...fallback, id }, consumedAt)) ??
          (await db
            .updateTable('messages')
            .set({ status: 'consumed', consumed_at: consumedAt })
            .where('id', '=', id)
            .where('status', '=', 'received')
            .returningAll()
            .executeTakeFirst()) ??
          (await read(id));
        if (row === undefined) throw new Error(`message ${id} vanished while being consumed`);
        return messageFromRow(row);
      }),

    get: (id: string) =>
      run(`get message ${id}`, async () => {
        const row = await read(id);
        return row === undefined ? undefined : messageFromRow(row);
      }),

    list: (request: PageRequest = {}) =>
      run('list messages', () =>
        listNewestFirst(db, 'messages', request, messageFromRow, (item) => item.receivedAt),
      ),

    async close() {
      if (state.close()) await release();
    },
  };
}
