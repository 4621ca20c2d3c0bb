import {
  type ConsumedMark,
  type InsertedMessage,
  type MarkedMessage,
  type MessageStore,
  type MessageWrite,
  type NewMessage,
  normalizeTimestamp,
  type OutboxStore,
  type OutgoingEvent,
  type PageRequest,
} from '@playtally/service';
import type { Kysely, Selectable } from 'kysely';
import type { Database, MessagesTable } from './database.js';
import { listNewestFirst } from './keyset-page.js';
import {
  type Executor,
  findIdempotencyKey,
  insertIdempotencyKey,
  insertOutboxRows,
} from './outbox-rows.js';
import { messageFromRow, messageRow } from './row-mapping.js';
import { createClosedFlag, storeRunner } from './store-errors.js';

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
  const run = storeRunner(label, () => state.assertOpen());

  const insertIfAbsent = async (trx: Executor, message: NewMessage, consumedAt: string | null) =>
    trx
      .insertInto('messages')
      .values(messageRow(message, consumedAt))
      .onConflict((conflict) => conflict.column('id').doNothing())
      .returningAll()
      .executeTakeFirst();

  const read = async (trx: Executor, id: string) =>
    trx.selectFrom('messages').selectAll().where('id', '=', id).executeTakeFirst();

  /** A batch in one transaction: one multi-row insert of the messages, one of their events. */
  const writeAll = (writes: readonly MessageWrite[]) =>
    db.transaction().execute(async (trx) => {
      if (writes.length === 0) return [];
      const at = now().toISOString();
      const rows = await trx
        .insertInto('messages')
        .values(writes.map((write) => messageRow(write.message, null)))
        .onConflict((conflict) => conflict.column('id').doNothing())
        .returningAll()
        .execute();
      const created = new Map(rows.map((row) => [row.id, row]));
      const missing = writes.map((w) => w.message.id).filter((id) => !created.has(id));
      const existing = new Map(
        missing.length === 0
          ? []
          : (await trx.selectFrom('messages').selectAll().where('id', 'in', missing).execute()).map(
              (row) => [row.id, row],
            ),
      );
      const results: InsertedMessage[] = [];
      const events: OutgoingEvent[] = [];
      const written = new Set<string>();
      for (const write of writes) {
        const id = write.message.id;
        const row = created.get(id);
        if (row !== undefined && !written.has(id)) {
          written.add(id);
          if (write.idempotency !== undefined) {
            await insertIdempotencyKey(trx, 'messages', write.idempotency, id, at);
          }
          events.push(...(write.outbox ?? []));
          results.push({ message: messageFromRow(row), created: true });
          continue;
        }
        const stored = row ?? existing.get(id);
        if (stored === undefined) throw new Error(`message ${id} vanished`);
        results.push({ message: messageFromRow(stored), created: false });
      }
      await insertOutboxRows(trx, events, at);
      return results;
    });

  /**
   * Marks of a batch in one transaction: one conditional update per distinct time (usually
   * one), one insert of the fallbacks of ids not found, one read of the rest (consumed before).
   */
  const consumeAll = (marks: readonly ConsumedMark[]) =>
    db.transaction().execute(async (trx) => {
      const changed = new Map<string, Selectable<MessagesTable>>();
      const first = new Map<string, ConsumedMark & { consumedAt: string }>();
      for (const mark of marks) {
        if (!first.has(mark.id)) {
          first.set(mark.id, { ...mark, consumedAt: normalizeTimestamp(mark.at, 'consumedAt') });
        }
      }
      const byTime = new Map<string, string[]>();
      for (const mark of first.values()) {
        byTime.set(mark.consumedAt, [...(byTime.get(mark.consumedAt) ?? []), mark.id]);
      }
      for (const [consumedAt, ids] of byTime) {
        const rows = await trx
          .updateTable('messages')
          .set({ status: 'consumed', consumed_at: consumedAt })
          .where('id', 'in', ids)
          .where('status', '=', 'received')
          .returningAll()
          .execute();
        for (const row of rows) changed.set(row.id, row);
      }
      const notUpdated = [...first.values()].filter((mark) => !changed.has(mark.id));
      if (notUpdated.length > 0) {
        const rows = await trx
          .insertInto('messages')
          .values(
            notUpdated.map((mark) =>
              messageRow({ ...mark.fallback, id: mark.id }, mark.consumedAt),
            ),
          )
          .onConflict((conflict) => conflict.column('id').doNothing())
          .returningAll()
          .execute();
        for (const row of rows) changed.set(row.id, row);
      }
      const before = notUpdated.map((mark) => mark.id).filter((id) => !changed.has(id));
      const existing = new Map(
        before.length === 0
          ? []
          : (await trx.selectFrom('messages').selectAll().where('id', 'in', before).execute()).map(
              (row) => [row.id, row],
            ),
      );
      const reported = new Set<string>();
      return marks.map((mark): MarkedMessage => {
        const row = changed.get(mark.id);
        if (row !== undefined && !reported.has(mark.id)) {
          reported.add(mark.id);
          return { message: messageFromRow(row), changed: true };
        }
        const stored = row ?? existing.get(mark.id);
        if (stored === undefined)
          throw new Error(`message ${mark.id} vanished while being consumed`);
        return { message: messageFromRow(stored), changed: false };
      });
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

    markConsumedMany: (marks) =>
      run(`mark ${marks.length} messages consumed`, () =>
        marks.length === 0 ? Promise.resolve([]) : consumeAll(marks),
      ),

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
