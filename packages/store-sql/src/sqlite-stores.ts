import { mkdirSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { PlaytallyError } from '@playtally/service';
import type BetterSqlite3 from 'better-sqlite3';
import { Kysely, SqliteDialect } from 'kysely';
import type { Database } from './database.js';
import { importDriver } from './import-driver.js';
import { openSqlStores, type SqlStores, type SqlStoresOptions } from './sql-stores.js';
import { cachingStatements } from './sqlite-statement-cache.js';

/** Options of {@link createSqliteStores}. */
export interface SqliteStoresOptions extends SqlStoresOptions {
  /** Database file (its directory is created), or `:memory:` for a private in-memory database. */
  filename: string;
  /** How long a write waits for another process's lock before failing. @default 5000 */
  busyTimeoutMs?: number;
}

/**
 * Job and message stores in a SQLite file: the embedded default. The file's directory is
 * created, the schema migrated, and the database opened in WAL mode (readers never block the
 * writer; `synchronous = NORMAL`, the setting WAL is designed for) with a busy timeout, so an
 * API process and a worker process may share one file.
 *
 * @example
 * ```ts
 * import { createSqliteStores } from '@playtally/store-sql';
 * const { jobs, messages, close } = await createSqliteStores({ filename: './data/playtally.db' });
 * ```
 */
export async function createSqliteStores(options: SqliteStoresOptions): Promise<SqlStores> {
  const { filename, busyTimeoutMs = 5000 } = options;
  const memory = filename === ':memory:';
  const Sqlite = await importDriver<typeof BetterSqlite3>('better-sqlite3');
  let database: BetterSqlite3.Database;
  try {
    if (!memory) mkdirSync(dirname(resolve(filename)), { recursive: true });
    database = new Sqlite(filename);
    database.pragma(`busy_timeout = ${Math.max(0, Math.floor(busyTimeoutMs))}`);
    if (!memory) database.pragma('journal_mode = WAL');
    database.pragma('synchronous = NORMAL');
  } catch (error) {
    const reason = error instanceof Error ? error.message : String(error);
    throw new PlaytallyError('STORE_ERROR', `Cannot open SQLite database ${filename}: ${reason}`, {
      cause: error,
      details: { filename },
    });
  }
  const db = new Kysely<Database>({
    dialect: new SqliteDialect({ database: cachingStatements(database) }),
  });
  const { now } = options;
  return openSqlStores(
    { db, dialect: 'sqlite', location: filename },
    now === undefined ? {} : { now },
  );
}
