import { parseDatabaseUrl } from './database-url.js';
import { createPostgresStores } from './postgres-stores.js';
import type { SqlStores, SqlStoresOptions } from './sql-stores.js';
import { createSqliteStores } from './sqlite-stores.js';

/** Options of {@link createSqlStores}. */
export interface CreateSqlStoresOptions extends SqlStoresOptions {
  /**
   * `sqlite:./data/playtally.db`, `sqlite:/abs/path.db`, `sqlite::memory:`,
   * `postgres://user:password@host:5432/db` or `postgresql://…`.
   */
  url: string;
}

/**
 * Opens the job and message stores a database URL names (the `DATABASE_URL` setting), migrated
 * to the latest schema. Rejects with `CONFIG_INVALID` for an unsupported URL and with
 * `STORE_ERROR` when the database cannot be opened; passwords never appear in messages.
 *
 * @example
 * ```ts
 * import { createSqlStores } from '@playtally/store-sql';
 * const stores = await createSqlStores({ url: process.env.DATABASE_URL ?? 'sqlite:./data/playtally.db' });
 * const job = await stores.jobs.get('some-id');
 * await stores.close();
 * ```
 */
export async function createSqlStores(options: CreateSqlStoresOptions): Promise<SqlStores> {
  const target = parseDatabaseUrl(options.url);
  const shared: SqlStoresOptions = options.now === undefined ? {} : { now: options.now };
  return target.dialect === 'sqlite'
    ? createSqliteStores({ ...shared, filename: target.filename })
    : createPostgresStores({ ...shared, connectionString: target.connectionString });
}
