import {
  type JobPatch,
  type JobStatus,
  type JobStore,
  type NewJob,
  type PageRequest,
  PlaytallyError,
} from '@playtally/service';
import type { Kysely } from 'kysely';
import type { Database } from './database.js';
import { listNewestFirst } from './keyset-page.js';
import { jobFromRow, newJobRow, patchRow } from './row-mapping.js';
import { createClosedFlag, storeOperation } from './store-errors.js';

/** What {@link createSqlJobStore} needs from the code that owns the database. */
export interface SqlJobStoreContext {
  readonly db: Kysely<Database>;
  /** Names the store in errors, e.g. `sqlite job store`. */
  readonly label: string;
  readonly now: () => Date;
  /** Called once, on the first `close()`: the owner releases the database when all are closed. */
  readonly release: () => Promise<void>;
}

const ALL_STATUSES: readonly JobStatus[] = [
  'queued',
  'processing',
  'succeeded',
  'failed',
  'cancelled',
];

/**
 * The {@link JobStore} over Kysely, for SQLite and PostgreSQL alike. Every method is one SQL
 * statement: `create` is `INSERT … ON CONFLICT DO NOTHING RETURNING`, `transition` a single
 * conditional `UPDATE … WHERE id = ? AND status IN (…) RETURNING`, so concurrent callers race
 * inside the database, never in JavaScript. Lists use keyset pagination on `(created_at, id)`.
 */
export function createSqlJobStore(context: SqlJobStoreContext): JobStore {
  const { db, label, now, release } = context;
  const state = createClosedFlag(label);
  const run = <T>(operation: string, action: () => Promise<T>): Promise<T> =>
    storeOperation(label, operation, async () => {
      state.assertOpen();
      return action();
    });

  return {
    create: (job: NewJob) =>
      run(`create job ${job.id}`, async () => {
        const row = await db
          .insertInto('jobs')
          .values(newJobRow(job, now().toISOString()))
          .onConflict((conflict) => conflict.column('id').doNothing())
          .returningAll()
          .executeTakeFirst();
        if (row === undefined) {
          throw new PlaytallyError('CONFLICT', `Job ${job.id} already exists`, {
            details: { id: job.id },
          });
        }
        return jobFromRow(row);
      }),

    get: (id: string) =>
      run(`get job ${id}`, async () => {
        const row = await db.selectFrom('jobs').selectAll().where('id', '=', id).executeTakeFirst();
        return row === undefined ? undefined : jobFromRow(row);
      }),

    list: (request: PageRequest = {}) =>
      run('list jobs', () =>
        listNewestFirst(db, 'jobs', request, jobFromRow, (item) => item.createdAt),
      ),

    transition: (id: string, from: readonly JobStatus[], patch: JobPatch) =>
      run(`transition job ${id}`, async () => {
        if (from.length === 0) return undefined;
        const row = await db
          .updateTable('jobs')
          .set(patchRow(patch, now().toISOString()))
          .where('id', '=', id)
          .where('status', 'in', [...from])
          .returningAll()
          .executeTakeFirst();
        return row === undefined ? undefined : jobFromRow(row);
      }),

    countByStatus: () =>
      run('count jobs by status', async () => {
        const rows = await db
          .selectFrom('jobs')
          .select((eb) => ['status', eb.fn.countAll().as('count')])
          .groupBy('status')
          .execute();
        const counts = Object.fromEntries(ALL_STATUSES.map((status) => [status, 0])) as Record<
          JobStatus,
          number
        >;
        for (const row of rows) counts[row.status as JobStatus] = Number(row.count);
        return counts;
      }),

    async close() {
      if (state.close()) await release();
    },
  };
}
