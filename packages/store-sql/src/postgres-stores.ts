import { Kysely, PostgresDialect, type PostgresPool } from 'kysely';
import type pg from 'pg';
import type { Database } from './database.js';
import { redactDatabaseUrl } from './database-url.js';
import { importDriver } from './import-driver.js';
import { resilientPool } from './postgres-pool.js';
import { openSqlStores, type SqlStores, type SqlStoresOptions } from './sql-stores.js';

/** Options of {@link createPostgresStores}: a connection string, or a pool you own. */
export type PostgresStoresOptions = SqlStoresOptions &
  (
    | {
        /** `postgres://user:password@host:5432/database`; libpq parameters such as `?options=-c search_path=app` work. */
        connectionString: string;
        /** Most connections the store's own pool opens. @default 10 */
        maxConnections?: number;
      }
    | {
        /**
         * A `pg` `Pool` (or any Kysely `PostgresPool`) the caller owns: the stores use it but
         * never end it; closing the stores only stops using it.
         */
        pool: PostgresPool;
      }
  );

/**
 * Job and message stores in PostgreSQL, migrated at start-up. With a connection string the
 * stores own a `pg` pool and end it on close; with `pool` they borrow yours. Rejects with
 * `STORE_ERROR` (password redacted) if the server cannot be reached or migrated.
 *
 * @example
 * ```ts
 * import { createPostgresStores } from '@playtally/store-sql';
 * const stores = await createPostgresStores({ connectionString: process.env.DATABASE_URL! });
 * await stores.ping();
 * ```
 */
export async function createPostgresStores(options: PostgresStoresOptions): Promise<SqlStores> {
  let pool: PostgresPool;
  let location: string;
  if ('pool' in options) {
    const borrowed = options.pool;
    pool = { connect: () => borrowed.connect(), end: async () => {} };
    location = 'a caller-owned pool';
  } else {
    const { Pool } = await importDriver<typeof pg>('pg');
    const owned = new Pool({
      connectionString: options.connectionString,
      max: options.maxConnections ?? 10,
    });
    pool = resilientPool(owned);
    location = redactDatabaseUrl(options.connectionString);
  }
  const db = new Kysely<Database>({ dialect: new PostgresDialect({ pool }) });
  const { now } = options;
  return openSqlStores({ db, dialect: 'postgres', location }, now === undefined ? {} : { now });
}
