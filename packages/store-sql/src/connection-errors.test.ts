import { requireService } from '@playtally/transport/testing';
import pg from 'pg';
import { afterAll, describe, expect, it } from 'vitest';
import { createSqlStores } from './create-sql-stores.js';

const DATABASE_URL = process.env.TEST_POSTGRES_URL ?? 'postgres://postgres@127.0.0.1:5432/test';
const admin = new pg.Pool({ connectionString: DATABASE_URL, max: 1 });
admin.on('error', () => {});
const available = await requireService(`PostgreSQL at ${DATABASE_URL}`, () =>
  admin.query('select 1'),
);
afterAll(() => admin.end());

/** The message `createSqlStores` rejects with for `url`. */
async function failureOf(url: string): Promise<string> {
  const error = await createSqlStores({ url }).then(
    () => {
      throw new Error(`${url} opened`);
    },
    (e: Error) => e,
  );
  expect(error).toMatchObject({ code: 'STORE_ERROR' });
  return error.message;
}

describe('opening a PostgreSQL database that cannot be used', () => {
  it('says once, in one sentence, that nothing listens at its address', async () => {
    const message = await failureOf('postgres://postgres:secret@127.0.0.1:1/test');
    expect(message).toBe(
      'Cannot connect to the postgres database at postgres://postgres:***@127.0.0.1:1/test: connection refused (nothing listens there: is it running?)',
    );
  });

  it.skipIf(!available)('says that the database does not exist', async () => {
    const url = new URL(DATABASE_URL);
    url.pathname = '/playtally_no_such_database';
    const message = await failureOf(url.href);
    expect(message).toMatch(
      /^Cannot connect to the postgres database at .*: the database does not exist$/,
    );
  });
});
