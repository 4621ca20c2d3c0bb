import type BetterSqlite3 from 'better-sqlite3';
import type { SqliteDatabase, SqliteStatement } from 'kysely';

/**
 * The database as Kysely's SQLite dialect sees it, with each SQL text prepared once: Kysely
 * prepares every query it runs, and preparing cost as much as running the statement on the
 * message path. The most recently used `max` statements are kept. A cached statement still
 * iterating (a streamed query) is not handed out again: that call prepares a fresh one.
 */
export function cachingStatements(database: BetterSqlite3.Database, max = 256): SqliteDatabase {
  const cache = new Map<string, BetterSqlite3.Statement>();
  return {
    prepare(sql: string): SqliteStatement {
      const cached = cache.get(sql);
      if (cached !== undefined && !cached.busy) {
        // Most recently used last: a Map keeps insertion order.
        cache.delete(sql);
        cache.set(sql, cached);
        return cached;
      }
      const statement = database.prepare(sql);
      if (cached === undefined) {
        cache.set(sql, statement);
        if (cache.size > max) cache.delete(cache.keys().next().value as string);
      }
      return statement;
    },
    close() {
      cache.clear();
      database.close();
    },
  };
}
