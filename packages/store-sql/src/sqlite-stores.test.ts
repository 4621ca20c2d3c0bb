import { mkdtemp, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  describeDeadLetterStoreContract,
  describeJobStoreContract,
  describeMessageStoreContract,
  sampleNewJob,
} from '@playtally/service/testing';
import { sql } from 'kysely';
import { afterEach, describe, expect, it } from 'vitest';
import { migrateDatabase } from './migrations.js';
import { createSqliteStores } from './sqlite-stores.js';

const directories: string[] = [];

async function temporaryFile(name = 'playtally.db'): Promise<string> {
  const directory = await mkdtemp(join(tmpdir(), 'playtally-sqlite-'));
  directories.push(directory);
  return join(directory, name);
}

afterEach(async () => {
  await Promise.all(
    directories.splice(0).map((directory) => rm(directory, { recursive: true, force: true })),
  );
});

describeJobStoreContract('sqlite', async ({ now }) => {
  const stores = await createSqliteStores({ filename: await temporaryFile(), now });
  await stores.messages.close();
  return stores.jobs;
});

describeMessageStoreContract('sqlite', async () => {
  const stores = await createSqliteStores({ filename: await temporaryFile() });
  await stores.jobs.close();
  return stores.messages;
});

describeDeadLetterStoreContract('sqlite', async () => {
  const stores = await createSqliteStores({ filename: await temporaryFile() });
  return { store: stores.deadLetters, close: () => stores.close() };
});

describeJobStoreContract('sqlite :memory:', async ({ now }) => {
  const stores = await createSqliteStores({ filename: ':memory:', now });
  await stores.messages.close();
  return stores.jobs;
});

describe('createSqliteStores', () => {
  it('creates the parent directory and opens the file in WAL mode', async () => {
    const filename = join(await temporaryFile(), 'nested', 'deeper', 'playtally.db');
    const stores = await createSqliteStores({ filename });
    const { rows } = await sql<{ journal_mode: string }>`pragma journal_mode`.execute(stores.db);
    expect(rows[0]?.journal_mode).toBe('wal');
    await stores.close();
    expect((await stat(filename)).isFile()).toBe(true);
  });

  it('applies migrations once: a second run and a reopened file change nothing', async () => {
    const filename = await temporaryFile();
    const first = await createSqliteStores({ filename });
    expect(await migrateDatabase(first.db)).toEqual([]);
    const job = await first.jobs.create(sampleNewJob());
    await first.close();
    const reopened = await createSqliteStores({ filename });
    expect(await migrateDatabase(reopened.db)).toEqual([]);
    expect(await reopened.jobs.get(job.id)).toEqual(job);
    const { rows } = await sql<{ name: string }>`select name from playtally_migration`.execute(
      reopened.db,
    );
    expect(rows.map((row) => row.name).sort()).toEqual([
      '001-initial',
      '002-outbox-leases-idempotency',
      '010-dead-letters',
      '020-job-parts',
    ]);
    await reopened.close();
  });

  it('lets two processes share the file: one transition wins across connections', async () => {
    const filename = await temporaryFile();
    const api = await createSqliteStores({ filename });
    const worker = await createSqliteStores({ filename });
    const job = await api.jobs.create(sampleNewJob());
    expect(await worker.jobs.get(job.id)).toEqual(job);
    const results = await Promise.all([
      api.jobs.transition(job.id, ['queued'], { status: 'cancelled' }),
      worker.jobs.transition(job.id, ['queued'], { status: 'processing', attempts: 1 }),
    ]);
    expect(results.filter((result) => result !== undefined)).toHaveLength(1);
    await Promise.all([api.close(), worker.close()]);
  });

  it('keeps the database open until both stores are closed, then refuses pings', async () => {
    const stores = await createSqliteStores({ filename: await temporaryFile() });
    await stores.jobs.close();
    await stores.jobs.close();
    await expect(stores.ping()).resolves.toBeUndefined();
    await expect(stores.messages.list()).resolves.toEqual({ items: [], nextCursor: null });
    await stores.messages.close();
    await expect(stores.ping()).rejects.toMatchObject({ code: 'STORE_ERROR' });
    await stores.close();
  });

  it('reports a file it cannot open with STORE_ERROR naming the file', async () => {
    const blocker = await temporaryFile('plain-file');
    await rm(blocker, { force: true });
    await import('node:fs/promises').then((fs) => fs.writeFile(blocker, 'not a directory'));
    const filename = join(blocker, 'playtally.db');
    await expect(createSqliteStores({ filename })).rejects.toMatchObject({
      code: 'STORE_ERROR',
      message: expect.stringContaining(filename),
    });
  });
});
