import { randomBytes } from 'node:crypto';
import {
  describeDeadLetterStoreContract,
  describeJobStoreContract,
  describeMessageStoreContract,
  sampleNewJob,
  sampleNewMessage,
} from '@playtally/service/testing';
import { requireService } from '@playtally/transport/testing';
import { sql } from 'kysely';
import pg from 'pg';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { createSqlStores } from './create-sql-stores.js';
import { migrateDatabase } from './migrations.js';
import { createPostgresStores } from './postgres-stores.js';

const DATABASE_URL = process.env.TEST_POSTGRES_URL ?? 'postgres://postgres@127.0.0.1:5432/test';
const admin = new pg.Pool({ connectionString: DATABASE_URL, max: 2 });
admin.on('error', () => {});

const available = await requireService(`PostgreSQL at ${DATABASE_URL}`, () =>
  admin.query('select 1'),
);

/** Every test works in a schema of its own, so parallel runs never see each other's rows. */
const schemas: string[] = [];

async function freshSchema(): Promise<{ schema: string; url: string }> {
  const schema = `playtally_test_${randomBytes(6).toString('hex')}`;
  await admin.query(`create schema ${schema}`);
  schemas.push(schema);
  const options = encodeURIComponent(`-c search_path=${schema}`);
  return {
    schema,
    url: `${DATABASE_URL}${DATABASE_URL.includes('?') ? '&' : '?'}options=${options}`,
  };
}

afterEach(async () => {
  for (const schema of schemas.splice(0))
    await admin.query(`drop schema if exists ${schema} cascade`);
});

afterAll(async () => {
  await admin.end();
});

describe.skipIf(!available)('postgres stores', () => {
  describeJobStoreContract('postgres', async ({ now }) => {
    const stores = await createSqlStores({ url: (await freshSchema()).url, now });
    await stores.messages.close();
    return stores.jobs;
  });

  describeMessageStoreContract('postgres', async () => {
    const stores = await createSqlStores({ url: (await freshSchema()).url });
    await stores.jobs.close();
    return stores.messages;
  });

  describeDeadLetterStoreContract('postgres', async () => {
    const stores = await createSqlStores({ url: (await freshSchema()).url });
    return { store: stores.deadLetters, close: () => stores.close() };
  });

  describe('createPostgresStores', () => {
    it('survives the server dropping a checked-out connection, and goes on', async () => {
      const { url } = await freshSchema();
      const stores = await createPostgresStores({ connectionString: url });
      const marker = `playtally_drop_${randomBytes(4).toString('hex')}`;
      const busy = sql`select pg_sleep(5) as ${sql.ref(marker)}`.execute(stores.db);
      busy.catch(() => {});
      for (let tries = 0; tries < 50; tries += 1) {
        const { rows } = await admin.query(
          `select pg_terminate_backend(pid) as killed from pg_stat_activity where query like $1 and pid <> pg_backend_pid()`,
          [`%${marker}%`],
        );
        if (rows.length > 0) break;
        await new Promise((resolve) => setTimeout(resolve, 50));
      }
      await expect(busy).rejects.toThrow(/terminat/i);
      const job = await stores.jobs.create(sampleNewJob());
      expect(await stores.jobs.get(job.id)).toEqual(job);
      await stores.close();
    });

    it('lets several processes migrate one empty schema at once, each migration applied once', async () => {
      // Another playtally schema in the same database must not be mistaken for this one.
      const neighbour = await createPostgresStores({ connectionString: (await freshSchema()).url });
      await neighbour.close();
      const { url, schema } = await freshSchema();
      const opened = await Promise.all(
        Array.from({ length: 4 }, () => createPostgresStores({ connectionString: url })),
      );
      const applied = await admin.query(`select name from ${schema}.playtally_migration`);
      expect(applied.rows.map((row) => row.name).sort()).toEqual([
        '001-initial',
        '002-outbox-leases-idempotency',
        '010-dead-letters',
        '020-job-parts',
      ]);
      for (const stores of opened) await stores.close();
    });

    it('creates its tables in the schema the connection names', async () => {
      const { schema, url } = await freshSchema();
      const stores = await createPostgresStores({ connectionString: url });
      expect(stores.dialect).toBe('postgres');
      const { rows } = await admin.query<{ table_name: string }>(
        'select table_name from information_schema.tables where table_schema = $1 order by table_name',
        [schema],
      );
      expect(rows.map((row) => row.table_name)).toEqual([
        'dead_letters',
        'idempotency_keys',
        'job_parts',
        'jobs',
        'messages',
        'outbox',
        'playtally_migration',
        'playtally_migration_lock',
      ]);
      await stores.close();
    });

    it('applies migrations once, even when several processes start together', async () => {
      const { schema, url } = await freshSchema();
      const starting = await Promise.all([1, 2, 3].map(() => createSqlStores({ url })));
      expect(await migrateDatabase(starting[0]!.db)).toEqual([]);
      const { rows } = await admin.query(
        `select name from ${schema}.playtally_migration order by name`,
      );
      expect(rows).toEqual([
        { name: '001-initial' },
        { name: '002-outbox-leases-idempotency' },
        { name: '010-dead-letters' },
        { name: '020-job-parts' },
      ]);
      const job = await starting[0]!.jobs.create(sampleNewJob());
      expect(await starting[2]!.jobs.get(job.id)).toEqual(job);
      await Promise.all(starting.map((stores) => stores.close()));
    });

    it('migrates while other schemas of the database come and go', async () => {
      // Kysely reads the whole catalog; a schema dropped by someone else during that read must
      // not fail our migration (it did, now and then, when test files ran side by side).
      let churning = true;
      const churn = (async () => {
        while (churning) {
          const other = `playtally_churn_${randomBytes(4).toString('hex')}`;
          await admin.query(`create schema ${other}; create table ${other}.t (id int)`);
          await admin.query(`drop schema ${other} cascade`);
        }
      })();
      try {
        for (let round = 0; round < 5; round += 1) {
          const { url } = await freshSchema();
          const stores = await Promise.all([1, 2].map(() => createSqlStores({ url })));
          await Promise.all(stores.map((opened) => opened.close()));
        }
      } finally {
        churning = false;
        await churn;
      }
    });

    it('lets exactly one of many processes consume a message first', async () => {
      const { url } = await freshSchema();
      const processes = await Promise.all([1, 2, 3].map(() => createSqlStores({ url })));
      const message = sampleNewMessage();
      const results = await Promise.all(
        processes.flatMap((stores, p) =>
          [0, 1, 2].map((n) =>
            stores.messages.markConsumed(
              message.id,
              new Date(Date.UTC(2031, 0, 1, 0, 0, p, n)).toISOString(),
              message,
            ),
          ),
        ),
      );
      expect(new Set(results.map((result) => result.consumedAt)).size).toBe(1);
      await Promise.all(processes.map((stores) => stores.close()));
    });

    it('borrows a caller-owned pool without ending it', async () => {
      const { url } = await freshSchema();
      const pool = new pg.Pool({ connectionString: url, max: 2 });
      try {
        const stores = await createPostgresStores({ pool });
        await stores.ping();
        await stores.close();
        await stores.close();
        const { rows } = await pool.query('select count(*)::int as jobs from jobs');
        expect(rows).toEqual([{ jobs: 0 }]);
      } finally {
        await pool.end();
      }
    });

    it('answers ping while open and refuses it after close', async () => {
      const stores = await createSqlStores({ url: (await freshSchema()).url });
      await expect(stores.ping()).resolves.toBeUndefined();
      await stores.close();
      await expect(stores.ping()).rejects.toMatchObject({ code: 'STORE_ERROR' });
    });
  });
});
