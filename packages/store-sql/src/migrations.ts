import { PlaytallyError } from '@playtally/service';
import {
  type Kysely,
  type Migration,
  type MigrationProvider,
  Migrator,
  PostgresAdapter,
  sql,
} from 'kysely';
import type { Database } from './database.js';

/** Names of the bookkeeping tables, kept apart from any migrations of the application's own. */
const MIGRATION_TABLE = 'playtally_migration';
const MIGRATION_LOCK_TABLE = 'playtally_migration_lock';

/**
 * The schema's history. Never edit a released migration: add `002-…` instead. Migrations run in
 * name order inside a transaction, under Kysely's migration lock, so several processes starting
 * at once apply each one exactly once.
 */
function migrations(postgres: boolean): Record<string, Migration> {
  // Byte order ("C" collation) on PostgreSQL, as SQLite's BINARY: list order and cursors then
  // agree with the in-memory store, and text index scans stay cheap.
  const key = postgres ? sql`text collate "C"` : sql`text`;
  return {
    '001-initial': {
      async up(db: Kysely<unknown>) {
        await db.schema
          .createTable('jobs')
          .addColumn('id', key, (column) => column.primaryKey())
          .addColumn('status', 'text', (column) => column.notNull())
          .addColumn('filename', 'text', (column) => column.notNull())
          .addColumn('input_key', 'text', (column) => column.notNull())
          .addColumn('result_key', 'text')
          .addColumn('size_bytes', 'bigint', (column) => column.notNull())
          .addColumn('on_invalid', 'text', (column) => column.notNull())
          .addColumn('progress', 'text', (column) => column.notNull())
          .addColumn('attempts', 'integer', (column) => column.notNull())
          .addColumn('error', 'text')
          .addColumn('statistics', 'text')
          .addColumn('created_at', key, (column) => column.notNull())
          .addColumn('updated_at', 'text', (column) => column.notNull())
          .addColumn('started_at', 'text')
          .addColumn('finished_at', 'text')
          .execute();
        await db.schema
          .createIndex('jobs_newest_first')
          .on('jobs')
          .columns(['created_at', 'id'])
          .execute();
        await db.schema.createIndex('jobs_status').on('jobs').column('status').execute();

        await db.schema
          .createTable('messages')
          .addColumn('id', key, (column) => column.primaryKey())
          .addColumn('type', 'text', (column) => column.notNull())
          .addColumn('source', 'text', (column) => column.notNull())
          .addColumn('data', 'text', (column) => column.notNull())
          .addColumn('status', 'text', (column) => column.notNull())
          .addColumn('received_at', key, (column) => column.notNull())
          .addColumn('consumed_at', 'text')
          .execute();
        await db.schema
          .createIndex('messages_newest_first')
          .on('messages')
          .columns(['received_at', 'id'])
          .execute();
      },
      async down(db: Kysely<unknown>) {
        await db.schema.dropTable('messages').execute();
        await db.schema.dropTable('jobs').execute();
      },
    },
    '002-outbox-leases-idempotency': {
      async up(db: Kysely<unknown>) {
        await db.schema.alterTable('jobs').addColumn('lease_owner', 'text').execute();
        await db.schema
          .alterTable('jobs')
          .addColumn('lease_token', 'integer', (column) => column.notNull().defaultTo(0))
          .execute();
        await db.schema.alterTable('jobs').addColumn('lease_expires_at', 'text').execute();
        await db.schema.createIndex('jobs_input_key').on('jobs').column('input_key').execute();
        await db.schema
          .createIndex('jobs_status_updated')
          .on('jobs')
          .columns(['status', 'updated_at'])
          .execute();
        await db.schema.alterTable('messages').addColumn('republished_at', 'text').execute();
        await db.schema
          .createIndex('messages_status_received')
          .on('messages')
          .columns(['status', 'received_at'])
          .execute();

        await db.schema
          .createTable('outbox')
          .addColumn('id', key, (column) => column.primaryKey())
          .addColumn('topic', 'text', (column) => column.notNull())
          .addColumn('event_key', 'text')
          .addColumn('event', 'text', (column) => column.notNull())
          .addColumn('attempts', 'integer', (column) => column.notNull())
          .addColumn('available_at', 'text', (column) => column.notNull())
          .addColumn('created_at', 'text', (column) => column.notNull())
          .execute();
        await db.schema
          .createIndex('outbox_available')
          .on('outbox')
          .columns(['available_at', 'id'])
          .execute();

        await db.schema
          .createTable('idempotency_keys')
          .addColumn('scope', 'text', (column) => column.notNull())
          .addColumn('key', 'text', (column) => column.notNull())
          .addColumn('fingerprint', 'text', (column) => column.notNull())
          .addColumn('resource_id', 'text', (column) => column.notNull())
          .addColumn('created_at', 'text', (column) => column.notNull())
          .addPrimaryKeyConstraint('idempotency_keys_pk', ['scope', 'key'])
          .execute();
        await db.schema
          .createIndex('idempotency_keys_resource')
          .on('idempotency_keys')
          .columns(['scope', 'resource_id'])
          .execute();
      },
      async down(db: Kysely<unknown>) {
        await db.schema.dropTable('idempotency_keys').execute();
        await db.schema.dropTable('outbox').execute();
        await db.schema.dropIndex('messages_status_received').execute();
        await db.schema.alterTable('messages').dropColumn('republished_at').execute();
        await db.schema.dropIndex('jobs_status_updated').execute();
        await db.schema.dropIndex('jobs_input_key').execute();
        for (const column of ['lease_expires_at', 'lease_token', 'lease_owner']) {
          await db.schema.alterTable('jobs').dropColumn(column).execute();
        }
      },
    },
    '010-dead-letters': {
      async up(db: Kysely<unknown>) {
        await db.schema
          .createTable('dead_letters')
          .addColumn('id', key, (column) => column.primaryKey())
          .addColumn('topic', 'text', (column) => column.notNull())
          .addColumn('consumer_group', 'text')
          .addColumn('reason', 'text', (column) => column.notNull())
          .addColumn('attempts', 'integer', (column) => column.notNull())
          .addColumn('event_id', 'text', (column) => column.notNull())
          .addColumn('event_type', 'text', (column) => column.notNull())
          .addColumn('event', 'text', (column) => column.notNull())
          .addColumn('status', 'text', (column) => column.notNull())
          .addColumn('dead_lettered_at', key, (column) => column.notNull())
          .addColumn('replayed_at', 'text')
          .execute();
        await db.schema
          .createIndex('dead_letters_newest_first')
          .on('dead_letters')
          .columns(['dead_lettered_at', 'id'])
          .execute();
        await db.schema
          .createIndex('dead_letters_topic_newest_first')
          .on('dead_letters')
          .columns(['topic', 'dead_lettered_at', 'id'])
          .execute();
      },
      async down(db: Kysely<unknown>) {
        await db.schema.dropTable('dead_letters').execute();
      },
    },
    '020-job-parts': {
      async up(db: Kysely<unknown>) {
        // A split job's part counts as JSON ({ total, done, running }); NULL when unsplit.
        await db.schema.alterTable('jobs').addColumn('parts', 'text').execute();
        await db.schema
          .createTable('job_parts')
          .addColumn('job_id', key, (column) => column.notNull())
          .addColumn('part_index', 'integer', (column) => column.notNull())
          .addColumn('start_offset', 'bigint', (column) => column.notNull())
          .addColumn('end_offset', 'bigint', (column) => column.notNull())
          .addColumn('line', 'bigint', (column) => column.notNull())
          .addColumn('status', 'text', (column) => column.notNull())
          .addColumn('bytes_read', 'bigint', (column) => column.notNull())
          .addColumn('rows_read', 'bigint', (column) => column.notNull())
          .addColumn('run_key', 'text')
          .addColumn('statistics', 'text')
          .addColumn('error', 'text')
          .addColumn('updated_at', 'text', (column) => column.notNull())
          .addPrimaryKeyConstraint('job_parts_pk', ['job_id', 'part_index'])
          .execute();
      },
      async down(db: Kysely<unknown>) {
        await db.schema.dropTable('job_parts').execute();
        await db.schema.alterTable('jobs').dropColumn('parts').execute();
      },
    },
  };
}

/**
 * Brings the database to the latest schema and returns the names of the migrations applied by
 * this call (empty when it was already up to date). `createSqlStores` and friends call it at
 * start-up; call it yourself only when you open the database some other way. Rejects with
 * `STORE_ERROR` naming the migration that failed.
 */
export async function migrateDatabase(db: Kysely<Database>): Promise<readonly string[]> {
  const postgres = db.getExecutor().adapter instanceof PostgresAdapter;
  if (!postgres) return migrateOn(db, false);
  // Kysely's own lock lives in a table that the first migration run creates, and processes
  // starting together on an empty schema race to create it ("relation … does not exist").
  // A session-level advisory lock, held on one connection around the whole run, serialises
  // them before any table exists.
  return db.connection().execute(async (connection) => {
    // One lock per schema: databases holding several playtally schemas migrate them in parallel.
    await sql`select pg_advisory_lock(${LOCK_KEY})`.execute(connection);
    try {
      return await migrateOn(connection, true);
    } finally {
      await sql`select pg_advisory_unlock(${LOCK_KEY})`.execute(connection);
    }
  });
}

/** The advisory lock key of playtally's migrations in the connection's current schema. */
const LOCK_KEY = sql`hashtext('playtally.migrations:' || current_schema())`;

/**
 * `db` whose introspection sees only `schema`: Kysely's migrator reads the catalog only to learn
 * whether its own tables exist, and its PostgreSQL introspector reads every schema of the
 * database, so a schema dropped by someone else during that read fails the migration
 * (`3F000`, or a relation gone by OID). Everything else is `db` itself.
 */
function withSchemaIntrospection(db: Kysely<Database>, schema: string): Kysely<Database> {
  const introspection = {
    async getSchemas() {
      return [{ name: schema }];
    },
    async getTables() {
      const { rows } = await sql<{ name: string; view: boolean }>`
        select c.relname as name, c.relkind = 'v' as view
        from pg_catalog.pg_class c join pg_catalog.pg_namespace n on n.oid = c.relnamespace
        where n.nspname = ${schema} and c.relkind in ('r', 'p', 'v')`.execute(db);
      return rows.map((row) => ({ name: row.name, isView: row.view, schema, columns: [] }));
    },
    async getMetadata() {
      return { tables: await this.getTables() };
    },
  };
  return new Proxy(db, {
    get(target, property) {
      if (property === 'introspection') return introspection;
      const value: unknown = Reflect.get(target, property, target);
      // Kysely's methods use private fields: call them on the instance, not on the proxy.
      return typeof value === 'function' ? value.bind(target) : value;
    },
  });
}

async function migrateOn(db: Kysely<Database>, postgres: boolean): Promise<readonly string[]> {
  const provider: MigrationProvider = { getMigrations: async () => migrations(postgres) };
  // Without a schema, Kysely looks for its bookkeeping tables in every schema of the database:
  // another playtally schema's tables would count, and ours would never be created.
  const schema = postgres
    ? (await sql<{ schema: string }>`select current_schema() as schema`.execute(db)).rows[0]?.schema
    : undefined;
  const migrator = new Migrator({
    db: schema === undefined ? db : withSchemaIntrospection(db, schema),
    provider,
    migrationTableName: MIGRATION_TABLE,
    migrationLockTableName: MIGRATION_LOCK_TABLE,
    // Migrations from parallel branches land with gaps in their numbering (`003-…` after
    // `020-…`): apply whichever are missing rather than refusing to start.
    allowUnorderedMigrations: true,
    ...(schema === undefined ? {} : { migrationTableSchema: schema }),
  });
  const { error, results = [] } = await migrator.migrateToLatest();
  if (error !== undefined) {
    const failed = results.find((result) => result.status === 'Error')?.migrationName;
    const reason = error instanceof Error ? error.message : String(error);
    throw new PlaytallyError(
      'STORE_ERROR',
      `Database migration ${failed === undefined ? '' : `${failed} `}failed: ${reason}`,
      { cause: error, details: { migration: failed } },
    );
  }
  return results
    .filter((result) => result.status === 'Success')
    .map((result) => result.migrationName);
}
