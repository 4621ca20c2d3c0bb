import Sqlite from 'better-sqlite3';
import { Kysely, SqliteDialect, sql } from 'kysely';
import { afterEach, describe, expect, it } from 'vitest';
import { cachingStatements } from './sqlite-statement-cache.js';

const opened: Sqlite.Database[] = [];

function open() {
  const database = new Sqlite(':memory:');
  opened.push(database);
  let prepared = 0;
  const prepare = database.prepare.bind(database);
  database.prepare = ((text: string) => {
    prepared += 1;
    return prepare(text);
  }) as typeof database.prepare;
  return { database, prepared: () => prepared };
}

afterEach(() => {
  for (const database of opened.splice(0)) if (database.open) database.close();
});

describe('cachingStatements', () => {
  it('prepares each SQL text once and gives the same results', async () => {
    const { database, prepared } = open();
    const db = new Kysely<{ t: { n: number } }>({
      dialect: new SqliteDialect({ database: cachingStatements(database) }),
    });
    await sql`create table t (n integer)`.execute(db);
    for (let n = 0; n < 5; n += 1) await db.insertInto('t').values({ n }).execute();
    const rows = await db.selectFrom('t').select('n').where('n', '>', 2).execute();
    expect(rows).toEqual([{ n: 3 }, { n: 4 }]);
    expect(prepared()).toBe(3); // create, insert, select
    await db.destroy();
    expect(database.open).toBe(false);
  });

  it('keeps at most `max` statements, dropping the least recently used', () => {
    const { database, prepared } = open();
    const cached = cachingStatements(database, 2);
    const a = cached.prepare('select 1');
    cached.prepare('select 2');
    expect(cached.prepare('select 1')).toBe(a);
    cached.prepare('select 3'); // evicts `select 2`, used longest ago
    expect(cached.prepare('select 1')).toBe(a);
    const before = prepared();
    cached.prepare('select 2');
    expect(prepared()).toBe(before + 1);
  });

  it('prepares a fresh statement while the cached one is still iterating', () => {
    const { database } = open();
    const cached = cachingStatements(database);
    database.exec('create table t (n integer); insert into t values (1), (2)');
    const statement = cached.prepare('select n from t') as Sqlite.Statement;
    const seen: unknown[] = [];
    for (const row of statement.iterate()) {
      const inner = cached.prepare('select n from t') as Sqlite.Statement;
      expect(inner).not.toBe(statement);
      seen.push(row, inner.all());
    }
    expect(seen).toHaveLength(4);
  });
});
