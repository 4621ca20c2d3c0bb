import {
  type InsertedMessage,
  type MessageStore,
  type MessageWrite,
  type NewMessage,
  normalizeTimestamp,
  type OutboxStore,
  type PageRequest,
} from '@playtally/service';
import type { Kysely } from 'kysely';
import type { Database } from './database.js';
import { listNewestFirst } from './keyset-page.js';
import {
  type Executor,
  findIdempotencyKey,
  insertIdempotencyKey,
  insertOutboxRows,
} from './outbox-rows.js';
import { messageFromRow, messageRow } from './row-mapping.js';
import { createClosedFlag, type StoreAccess, storeOperation } from './store-errors.js';

/** What {@link createSqlMessageStore} needs from the code that owns the database. */
export interface SqlMessageStoreContext {
  readonly db: Kysely<Database>;
  /** Names the store in errors, e.g. `postgres message store`. */
  readonly label: string;
  readonly now: () => Date;
  /** The outbox its writes add to (the same tables, so one transaction covers both). */
  readonly outbox: OutboxStore;
  /** Called once, on the first `close()`. */
  readonly release: () => Promise<void>;
}

/**
 * The {@link MessageStore} over Kysely. Idempotence lives in the database: inserts are
 * `INSERT … ON CONFLICT (id) DO NOTHING` (the outbox events and idempotency key of a message are
 * written in the same transaction only when its row was), and `markConsumed` is the fallback
 * insert, else a conditional `UPDATE … WHERE status = 'received'`, else a read, so the first
 * writer wins whatever the interleaving, across processes too. `insertMany` writes a whole batch
 * in one transaction.
 */
export function createSqlMessageStore(context: SqlMessageStoreContext): MessageStore {
  const { db, label, release, now, outbox } = context;
  const state = createClosedFlag(label);
  const run = <T>(operation: string, action: () => Promise<T>, access: StoreAccess = 'read') =>
    storeOperation(
      label,
      operation,
      async () => {
        state.assertOpen();
        return action();
      },
      access,
    );

  const insertIfAbsent = async (trx: Executor, message: NewMessage, consumedAt: string | null) =>
    trx
      .insertInto('messages')
      .values(messageRow(message, consumedAt))
      .onConflict((conflict) => conflict.column('id').doNothing())
      .returningAll()
      .executeTakeFirst();

  const read = async (trx: Executor, id: string) =>
    trx.selectFrom('messages').selectAll().where('id', '=', id).executeTakeFirst();

  const writeAll = (writes: readonly MessageWrite[]) =>
    db.transaction().execute(async (trx) => {
      const at = now().toISOString();
      const results: InsertedMessage[] = [];
      for (const write of writes) {
        const row = await insertIfAbsent(trx, write.message, null);
        if (row === undefined) {
          const existing = await read(trx, write.message.id);
          if (existing === undefined) throw new Error(`message ${write.message.id} vanished`);
          results.push({ message: messageFromRow(existing), created: false });
          continue;
        }
        if (write.idempotency !== undefined) {
          await insertIdempotencyKey(trx, 'messages', write.idempotency, row.id, at);
        }
        await insertOutboxRows(trx, write.outbox ?? [], at);
        results.push({ message: messageFromRow(row), created: true });
      }
      return results;
    });

  return {
    outbox,

    // Inserts are idempotent by id, so a retry after a lost connection is safe.
    insert: (message, options = {}) =>
      run(
        `insert message ${message.id}`,
        async () => (await writeAll([{ ...options, message }]))[0]!.message,
        options.idempotency === undefined ? 'read' : 'write',
      ),

    insertMany: (writes) =>
      run(
        `insert ${writes.length} messages`,
        () => writeAll(writes),
        writes.some((write) => write.idempotency !== undefined) ? 'write' : 'read',
      ),

    markConsumed: (id, at, fallback) =>
      run(`mark message ${id} consumed`, async () => {
        const consumedAt = normalizeTimestamp(at, 'consumedAt');
        const row =
          (await insertIfAbsent(db, { ...fallback, id }, consumedAt)) ??
          (await db
            .updateTable('messages')
            .set({ status: 'consumed', consumed_at: consumedAt })
            .where('id', '=', id)
            .where('status', '=', 'received')
            .returningAll()
            .executeTakeFirst()) ??
          (await read(db, id));
        if (row === undefined) throw new Error(`message ${id} vanished while being consumed`);
        return messageFromRow(row);
      }),

    get: (id) =>
      run(`get message ${id}`, async () => {
        const row = await read(db, id);
        return row === undefined ? undefined : messageFromRow(row);
      }),

    list: (request: PageRequest = {}) =>
      run('list messages', () =>
        listNewestFirst(db, 'messages', request, messageFromRow, (item) => item.receivedAt),
      ),

    listStale: (before, limit) =>
      run('list stale messages', async () => {
        const rows = await db
          .selectFrom('messages')
          .selectAll()
          .where('status', '=', 'received')
          .where('received_at', '<', before)
          .where((eb) =>
            eb.or([eb('republished_at', 'is', null), eb('republished_at', '<', before)]),
          )
          .orderBy('received_at')
          .orderBy('id')
          .limit(limit)
          .execute();
        return rows.map(messageFromRow);
      }),

    requeueStale: (id, before, at, events) =>
      run(
        `requeue message ${id}`,
        () =>
          db.transaction().execute(async (trx) => {
            const republishedAt = normalizeTimestamp(at, 'at');
            const row = await trx
              .updateTable('messages')
              .set({ republished_at: republishedAt })
              .where('id', '=', id)
              .where('status', '=', 'received')
              .where('received_at', '<', before)
              .where((eb) =>
                eb.or([eb('republished_at', 'is', null), eb('republished_at', '<', before)]),
              )
              .returningAll()
              .executeTakeFirst();
            if (row === undefined) return undefined;
            await insertOutboxRows(trx, events, now().toISOString());
            return messageFromRow(row);
          }),
        'write',
      ),

    findIdempotencyKey: (key) =>
      run('find idempotency key', () => findIdempotencyKey(db, 'messages', key)),

    async close() {
      if (state.close()) await release();
    },
  };
}
