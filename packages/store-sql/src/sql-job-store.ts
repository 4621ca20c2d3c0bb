import {
  JOB_STATUSES,
  type JobLease,
  type JobStatus,
  type JobStore,
  type OutboxStore,
  type PageRequest,
  PlaytallyError,
  type StaleJobQuery,
  summarizeParts,
} from '@playtally/service';
import type { Kysely, Selectable } from 'kysely';
import type { Database, JobsTable } from './database.js';
import { listNewestFirst } from './keyset-page.js';
import { findIdempotencyKey, insertIdempotencyKey, insertOutboxRows } from './outbox-rows.js';
import {
  jobFromRow,
  jobPartFromRow,
  newJobPartRow,
  newJobRow,
  partPatchRow,
  patchRow,
} from './row-mapping.js';
import { createClosedFlag, storeRunner } from './store-errors.js';

/** What {@link createSqlJobStore} needs from the code that owns the database. */
export interface SqlJobStoreContext {
  readonly db: Kysely<Database>;
  /** Names the store in errors, e.g. `sqlite job store`. */
  readonly label: string;
  readonly now: () => Date;
  /** The outbox its writes add to (the same tables, so one transaction covers both). */
  readonly outbox: OutboxStore;
  /** Called once, on the first `close()`: the owner releases the database when all are closed. */
  readonly release: () => Promise<void>;
}

const leaseFromRow = (row: Selectable<JobsTable>): JobLease => ({
  jobId: row.id,
  owner: row.lease_owner ?? '',
  token: Number(row.lease_token),
  expiresAt: row.lease_expires_at ?? '',
});

/**
 * The {@link JobStore} over Kysely, for SQLite and PostgreSQL alike. State changes are single
 * conditional statements (`UPDATE … WHERE id = ? AND status IN (…) [AND lease_token = ?]
 * RETURNING`), so concurrent callers race inside the database, never in JavaScript; a write with
 * outbox events or an idempotency key runs in one transaction with them. Lists use keyset
 * pagination on `(created_at, id)`.
 */
export function createSqlJobStore(context: SqlJobStoreContext): JobStore {
  const { db, label, now, release, outbox } = context;
  const state = createClosedFlag(label);
  const run = storeRunner(label, () => state.assertOpen());
  const staleJobs = (query: StaleJobQuery) =>
    db
      .selectFrom('jobs')
      .where((eb) =>
        eb.and([
          eb('updated_at', '<', query.updatedBefore),
          eb.or([
            eb('status', '=', 'queued'),
            eb.and([
              eb('status', '=', 'processing'),
              eb.or([
                eb('lease_expires_at', 'is', null),
                eb('lease_expires_at', '<', query.leaseExpiredBefore),
              ]),
            ]),
          ]),
        ]),
      );

  return {
    outbox,

    create: (job, options = {}) =>
      run(
        `create job ${job.id}`,
        () =>
          db.transaction().execute(async (trx) => {
            const at = now().toISOString();
            const row = await trx
              .insertInto('jobs')
              .values(newJobRow(job, at))
              .onConflict((conflict) => conflict.column('id').doNothing())
              .returningAll()
              .executeTakeFirst();
            if (row === undefined) {
              throw new PlaytallyError('CONFLICT', `Job ${job.id} already exists`, {
                details: { id: job.id },
              });
            }
            const parts = job.parts ?? [];
            for (let from = 0; from < parts.length; from += PART_ROWS_PER_INSERT) {
              const rows = parts
                .slice(from, from + PART_ROWS_PER_INSERT)
                .map((range, i) => newJobPartRow(job.id, from + i, range, at));
              await trx.insertInto('job_parts').values(rows).execute();
            }
            if (options.idempotency !== undefined) {
              await insertIdempotencyKey(trx, 'jobs', options.idempotency, job.id, at);
            }
            await insertOutboxRows(trx, options.outbox ?? [], at);
            return jobFromRow(row);
          }),
        'write',
      ),

    get: (id) =>
      run(`get job ${id}`, async () => {
        const row = await db.selectFrom('jobs').selectAll().where('id', '=', id).executeTakeFirst();
        return row === undefined ? undefined : jobFromRow(row);
      }),

    listParts: (jobId) =>
      run(`list parts of job ${jobId}`, async () => {
        const rows = await db
          .selectFrom('job_parts')
          .selectAll()
          .where('job_id', '=', jobId)
          .orderBy('part_index')
          .execute();
        return rows.map(jobPartFromRow);
      }),

    updatePart: (jobId, index, from, patch) =>
      run(
        `update part ${index} of job ${jobId}`,
        async () => {
          if (from.length === 0) return undefined;
          try {
            return await db.transaction().execute(async (trx) => {
              const at = now().toISOString();
              // Locks the job's row first, so updates of parts of one job take turns and each
              // one's sums below see every part committed before it.
              const running = await trx
                .updateTable('jobs')
                .set({ updated_at: at })
                .where('id', '=', jobId)
                .where('status', 'in', ['queued', 'processing'])
                .returning(['size_bytes', 'status'])
                .executeTakeFirst();
              if (running === undefined) throw NOT_APPLIED;
              const part = await trx
                .updateTable('job_parts')
                .set(partPatchRow(patch, at))
                .where('job_id', '=', jobId)
                .where('part_index', '=', index)
                .where('status', 'in', [...from])
                .returningAll()
                .executeTakeFirst();
              if (part === undefined) throw NOT_APPLIED;
              const parts = await trx
                .selectFrom('job_parts')
                .select(['status', 'bytes_read', 'rows_read'])
                .where('job_id', '=', jobId)
                .execute();
              const summary = summarizeParts(
                parts.map((row) => ({
                  status: row.status as 'queued',
                  bytesRead: Number(row.bytes_read),
                  rowsRead: Number(row.rows_read),
                })),
              );
              const job = await trx
                .updateTable('jobs')
                .set((eb) => ({
                  status: 'processing',
                  parts: JSON.stringify(summary.counts),
                  progress: JSON.stringify({
                    bytesRead: summary.bytesRead,
                    totalBytes: Number(running.size_bytes),
                    rowsRead: summary.rowsRead,
                  }),
                  started_at: eb.fn.coalesce('started_at', eb.val(at)),
                }))
                .where('id', '=', jobId)
                .returningAll()
                .executeTakeFirstOrThrow();
              const started = running.status === 'queued';
              return { job: jobFromRow(job), part: jobPartFromRow(part), started };
            });
          } catch (error) {
            if (error === NOT_APPLIED) return undefined;
            throw error;
          }
        },
        'write',
      ),

    list: (request: PageRequest = {}) =>
      run('list jobs', () =>
        listNewestFirst(db, 'jobs', request, jobFromRow, (item) => item.createdAt),
      ),

    transition: (id, from, patch, options = {}) =>
      run(
        `transition job ${id}`,
        async () => {
          if (from.length === 0) return undefined;
          const apply = async (trx: Kysely<Database>) => {
            const at = now().toISOString();
            const set = patchRow(patch, at);
            if (patch.status === 'queued' || (patch.status && isFinal(patch.status))) {
              set.lease_owner = null;
              set.lease_expires_at = null;
            }
            let update = trx
              .updateTable('jobs')
              .set(set)
              .where('id', '=', id)
              .where('status', 'in', [...from]);
            if (options.lease !== undefined) {
              update = update.where('lease_token', '=', options.lease.token);
            }
            const row = await update.returningAll().executeTakeFirst();
            if (row !== undefined) await insertOutboxRows(trx, options.outbox ?? [], at);
            return row === undefined ? undefined : jobFromRow(row);
          };
          return (options.outbox ?? []).length === 0
            ? apply(db)
            : db.transaction().execute((trx) => apply(trx));
        },
        'write',
      ),

    acquireLease: (id, owner, ttlMs) =>
      // Safe to repeat: the owner holding the lease gets it extended with the same token.
      run(`lease job ${id}`, async () => {
        const at = now();
        const nowIso = at.toISOString();
        const row = await db
          .updateTable('jobs')
          .set((eb) => ({
            lease_token: eb
              .case()
              .when(
                eb.and([
                  eb('lease_owner', '=', owner),
                  eb('lease_expires_at', 'is not', null),
                  eb('lease_expires_at', '>', nowIso),
                ]),
              )
              .then(eb.ref('lease_token'))
              .else(eb('lease_token', '+', 1))
              .end(),
            lease_owner: owner,
            lease_expires_at: new Date(at.getTime() + ttlMs).toISOString(),
          }))
          .where('id', '=', id)
          .where('status', 'in', ['queued', 'processing'])
          .where((eb) =>
            eb.or([
              eb('lease_expires_at', 'is', null),
              eb('lease_expires_at', '<=', nowIso),
              eb('lease_owner', '=', owner),
            ]),
          )
          .returningAll()
          .executeTakeFirst();
        return row === undefined ? undefined : leaseFromRow(row);
      }),

    renewLease: (lease, ttlMs) =>
      run(`renew lease of job ${lease.jobId}`, async () => {
        const row = await db
          .updateTable('jobs')
          .set({ lease_expires_at: new Date(now().getTime() + ttlMs).toISOString() })
          .where('id', '=', lease.jobId)
          .where('lease_token', '=', lease.token)
          .where('lease_owner', 'is not', null)
          .returningAll()
          .executeTakeFirst();
        return row === undefined ? undefined : leaseFromRow(row);
      }),

    releaseLease: (lease) =>
      run(`release lease of job ${lease.jobId}`, async () => {
        await db
          .updateTable('jobs')
          .set({ lease_owner: null, lease_expires_at: null })
          .where('id', '=', lease.jobId)
          .where('lease_token', '=', lease.token)
          .execute();
      }),

    listStale: (query, limit) =>
      run('list stale jobs', async () => {
        const rows = await staleJobs(query)
          .selectAll()
          .orderBy('updated_at')
          .orderBy('id')
          .limit(limit)
          .execute();
        return rows.map(jobFromRow);
      }),

    requeueStale: (id, query, events) =>
      run(
        `requeue job ${id}`,
        () =>
          db.transaction().execute(async (trx) => {
            const at = now().toISOString();
            const row = await trx
              .updateTable('jobs')
              .set({ status: 'queued', lease_owner: null, lease_expires_at: null, updated_at: at })
              .where('id', 'in', staleJobs(query).select('id').where('id', '=', id))
              .returningAll()
              .executeTakeFirst();
            if (row === undefined) return undefined;
            await insertOutboxRows(trx, events, at);
            return jobFromRow(row);
          }),
        'write',
      ),

    listFinishedBefore: (finishedBefore, limit) =>
      run('list expired jobs', async () => {
        const rows = await db
          .selectFrom('jobs')
          .selectAll()
          .where('status', '=', 'succeeded')
          .where('finished_at', '<', finishedBefore)
          .orderBy('finished_at')
          .orderBy('id')
          .limit(limit)
          .execute();
        return rows.map(jobFromRow);
      }),

    findByInputKey: (inputKey) =>
      run('find job by upload', async () => {
        const row = await db
          .selectFrom('jobs')
          .selectAll()
          .where('input_key', '=', inputKey)
          .executeTakeFirst();
        return row === undefined ? undefined : jobFromRow(row);
      }),

    findIdempotencyKey: (key) =>
      run('find idempotency key', () => findIdempotencyKey(db, 'jobs', key)),

    delete: (id) =>
      run(`delete job ${id}`, () =>
        db.transaction().execute(async (trx) => {
          await trx.deleteFrom('job_parts').where('job_id', '=', id).execute();
          await trx
            .deleteFrom('idempotency_keys')
            .where('scope', '=', 'jobs')
            .where('resource_id', '=', id)
            .execute();
          const deleted = await trx.deleteFrom('jobs').where('id', '=', id).executeTakeFirst();
          return Number(deleted.numDeletedRows) > 0;
        }),
      ),

    countByStatus: () =>
      run('count jobs by status', async () => {
        const rows = await db
          .selectFrom('jobs')
          .select((eb) => ['status', eb.fn.countAll().as('count')])
          .groupBy('status')
          .execute();
        const counts = Object.fromEntries(JOB_STATUSES.map((status) => [status, 0])) as Record<
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

/** Part rows per INSERT when a split job is created (SQLite allows 32,766 parameters). */
const PART_ROWS_PER_INSERT = 500;

/** Thrown inside a transaction to roll it back when a conditional update matched nothing. */
const NOT_APPLIED = new Error('not applied');

function isFinal(status: JobStatus): boolean {
  return status !== 'queued' && status !== 'processing';
}
