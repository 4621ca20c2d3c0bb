import type { ClaimOutboxOptions, OutboxStore } from '@playtally/service';
import type { Kysely } from 'kysely';
import type { Database } from './database.js';
import { outboxEntryFromRow } from './outbox-rows.js';
import { storeRunner } from './store-errors.js';

/** What {@link createSqlOutboxStore} needs from the code that owns the database. */
export interface SqlOutboxStoreContext {
  readonly db: Kysely<Database>;
  readonly label: string;
  readonly now: () => Date;
  /** PostgreSQL: claims lock rows with `FOR UPDATE SKIP LOCKED`, so relays never wait on each other. */
  readonly skipLocked: boolean;
  /** Rejects once the stores are closed. */
  readonly assertOpen: () => void;
}

/**
 * The {@link OutboxStore} over Kysely. A claim is one statement: `UPDATE outbox SET
 * available_at = now + lease, attempts = attempts + 1 WHERE id IN (SELECT id … WHERE
 * available_at <= now ORDER BY id LIMIT n [FOR UPDATE SKIP LOCKED]) RETURNING *`, so concurrent
 * relays (processes) each get different entries; SQLite runs writers one at a time anyway.
 */
export function createSqlOutboxStore(context: SqlOutboxStoreContext): OutboxStore {
  const { db, label, now, skipLocked, assertOpen } = context;
  const run = storeRunner(label, assertOpen);

  return {
    claim: ({ limit, leaseMs }: ClaimOutboxOptions) =>
      // A claim that may have applied is safe to run again: its entries come back after the lease.
      run(
        'claim outbox entries',
        async () => {
          const at = now();
          const rows = await db
            .updateTable('outbox')
            .set((eb) => ({
              available_at: new Date(at.getTime() + leaseMs).toISOString(),
              attempts: eb('attempts', '+', 1),
            }))
            .where('id', 'in', (eb) => {
              const available = eb
                .selectFrom('outbox')
                .select('id')
                .where('available_at', '<=', at.toISOString())
                .orderBy('id')
                .limit(limit);
              return skipLocked ? available.forUpdate().skipLocked() : available;
            })
            .returningAll()
            .execute();
          return rows.map(outboxEntryFromRow).sort((a, b) => (a.id < b.id ? -1 : 1));
        },
        'read',
      ),

    complete: (ids) =>
      run(
        `complete ${ids.length} outbox entries`,
        async () => {
          if (ids.length === 0) return;
          await db
            .deleteFrom('outbox')
            .where('id', 'in', [...ids])
            .execute();
        },
        'read',
      ),

    retry: (ids, delayMs) =>
      run(
        `retry ${ids.length} outbox entries`,
        async () => {
          if (ids.length === 0) return;
          await db
            .updateTable('outbox')
            .set({ available_at: new Date(now().getTime() + delayMs).toISOString() })
            .where('id', 'in', [...ids])
            .execute();
        },
        'read',
      ),

    pending: () =>
      run(
        'count outbox entries',
        async () => {
          const row = await db
            .selectFrom('outbox')
            .select((eb) => eb.fn.countAll().as('count'))
            .executeTakeFirstOrThrow();
          return Number(row.count);
        },
        'read',
      ),

    oldestPending: () =>
      run(
        'find the oldest outbox entry',
        async () => {
          const row = await db
            .selectFrom('outbox')
            .select((eb) => eb.fn.min('created_at').as('oldest'))
            .executeTakeFirst();
          return row?.oldest ?? null;
        },
        'read',
      ),
  };
}
