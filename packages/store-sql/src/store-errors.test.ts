import { describe, expect, it } from 'vitest';
import { storeOperation } from './store-errors.js';

const failing = (code: string, message = `failure ${code}`) => {
  let calls = 0;
  const run = async () => {
    calls += 1;
    throw Object.assign(new Error(message), { code });
  };
  return { run, calls: () => calls };
};

describe('storeOperation', () => {
  it('answers STORE_UNAVAILABLE naming the database when the server shuts a connection', async () => {
    const op = failing('57P01', 'terminating connection due to administrator command');
    await expect(
      storeOperation('pg at postgres://u:***@h/db', 'get job 1', op.run, 'write'),
    ).rejects.toMatchObject({
      code: 'STORE_UNAVAILABLE',
      details: { component: 'database', retryAfterSeconds: 2 },
    });
    // A write that may have been applied is not run twice.
    expect(op.calls()).toBe(1);
  });

  it('retries a read over a lost connection, and a write that was never sent', async () => {
    const read = failing('08006');
    await expect(storeOperation('db', 'list', read.run, 'read')).rejects.toMatchObject({
      code: 'STORE_UNAVAILABLE',
    });
    expect(read.calls()).toBe(4);
    const refused = failing('ECONNREFUSED');
    await expect(storeOperation('db', 'create', refused.run, 'write')).rejects.toMatchObject({
      code: 'STORE_UNAVAILABLE',
    });
    expect(refused.calls()).toBe(4);
  });

  it('succeeds when a retried operation gets through', async () => {
    let calls = 0;
    const value = await storeOperation('db', 'get', async () => {
      calls += 1;
      if (calls < 3) throw Object.assign(new Error('database is locked'), { code: 'SQLITE_BUSY' });
      return 'row';
    });
    expect(value).toBe('row');
  });

  it('answers STORAGE_FULL for a full disk, and STORE_ERROR for anything else', async () => {
    await expect(
      storeOperation('sqlite', 'insert', failing('SQLITE_FULL', 'database or disk is full').run),
    ).rejects.toMatchObject({
      code: 'STORAGE_FULL',
      message: expect.stringContaining('disk is full'),
      details: { component: 'database' },
    });
    await expect(storeOperation('db', 'insert', failing('42P01').run)).rejects.toMatchObject({
      code: 'STORE_ERROR',
      details: { component: 'database' },
    });
  });
});
