import {
  type DeadLetter,
  type DeadLetterListRequest,
  type DeadLetterStore,
  type NewDeadLetter,
  normalizeTimestamp,
} from '@playtally/service';
import type { Kysely, Selectable } from 'kysely';
import type { Database, DeadLettersTable } from './database.js';
import { listNewestFirst } from './keyset-page.js';
import { storeRunner } from './store-errors.js';

/** What {@link createSqlDeadLetterStore} needs from the code that owns the database. */
export interface SqlDeadLetterStoreContext {
  readonly db: Kysely<Database>;
  /** Names the store in errors, e.g. `postgres dead-letter store`. */
  readonly label: string;
  /** Throws once the database is closed. */
  readonly assertOpen: () => void;
}

function deadLetterFromRow(row: Selectable<DeadLettersTable>): DeadLetter {
  return {
    id: row.id,
    topic: row.topic,
    group: row.consumer_group,
    reason: row.reason,
    attempts: Number(row.attempts),
    eventId: row.event_id,
    eventType: row.event_type,
    event: JSON.parse(row.event) as DeadLetter['event'],
    status: row.status === 'replayed' ? 'replayed' : 'pending',
    deadLetteredAt: row.dead_lettered_at,
    replayedAt: row.replayed_at,
  };
}

/**
 * The {@link DeadLetterStore} over Kysely (table `dead_letters`, migration `010-dead-letters`).
 * Recording is `INSERT … ON CONFLICT (id) DO UPDATE … WHERE status = 'replayed'` (a pending
 * record is kept, a replayed one reopened) and replaying a conditional
 * `UPDATE … WHERE status = 'pending'`, so the first writer wins across processes.
 */
export function createSqlDeadLetterStore(context: SqlDeadLetterStoreContext): DeadLetterStore {
  const { db, label, assertOpen } = context;
  const run = storeRunner(label, assertOpen);
  const read = (id: string) =>
    db.selectFrom('dead_letters').selectAll().where('id', '=', id).executeTakeFirst();

  return {
    // Idempotent by id: a retry after a lost connection writes nothing new.
    record: (input: NewDeadLetter) =>
      run(`record dead letter ${input.id}`, async () => {
        const fresh = {
          reason: input.reason,
          attempts: input.attempts,
          status: 'pending',
          dead_lettered_at: normalizeTimestamp(input.deadLetteredAt, 'deadLetteredAt'),
          replayed_at: null,
        };
        await db
          .insertInto('dead_letters')
          .values({
            id: input.id,
            topic: input.topic,
            consumer_group: input.group,
            event_id: input.eventId,
            event_type: input.eventType,
            event: JSON.stringify(input.event),
            ...fresh,
          })
          .onConflict((conflict) =>
            conflict.column('id').doUpdateSet(fresh).where('dead_letters.status', '=', 'replayed'),
          )
          .execute();
        const row = await read(input.id);
        if (row === undefined) throw new Error(`dead letter ${input.id} vanished`);
        return deadLetterFromRow(row);
      }),

    get: (id) =>
      run(`get dead letter ${id}`, async () => {
        const row = await read(id);
        return row === undefined ? undefined : deadLetterFromRow(row);
      }),

    list: (request: DeadLetterListRequest = {}) =>
      run('list dead letters', () =>
        listNewestFirst(
          db,
          'dead_letters',
          request,
          deadLetterFromRow,
          (item) => item.deadLetteredAt,
          request.topic === undefined ? {} : { topic: request.topic },
        ),
      ),

    markReplayed: (id, at) =>
      run(
        `replay dead letter ${id}`,
        async () => {
          const row = await db
            .updateTable('dead_letters')
            .set({ status: 'replayed', replayed_at: normalizeTimestamp(at, 'replayedAt') })
            .where('id', '=', id)
            .where('status', '=', 'pending')
            .returningAll()
            .executeTakeFirst();
          return row === undefined ? undefined : deadLetterFromRow(row);
        },
        'write',
      ),

    unmarkReplayed: (id, at) =>
      run(`undo the replay of dead letter ${id}`, async () => {
        await db
          .updateTable('dead_letters')
          .set({ status: 'pending', replayed_at: null })
          .where('id', '=', id)
          .where('status', '=', 'replayed')
          .where('replayed_at', '=', normalizeTimestamp(at, 'replayedAt'))
          .execute();
      }),

    countPending: () =>
      run('count pending dead letters', async () => {
        const rows = await db
          .selectFrom('dead_letters')
          .select(['topic', 'consumer_group'])
          .select((eb) => eb.fn.countAll<number | string>().as('count'))
          .where('status', '=', 'pending')
          .groupBy(['topic', 'consumer_group'])
          .execute();
        return rows.map((row) => ({
          topic: row.topic,
          group: row.consumer_group,
          count: Number(row.count),
        }));
      }),

    delete: (id) =>
      run(
        `delete dead letter ${id}`,
        async () => {
          const result = await db
            .deleteFrom('dead_letters')
            .where('id', '=', id)
            .executeTakeFirst();
          return Number(result.numDeletedRows) > 0;
        },
        'write',
      ),
  };
}
