import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { createSqlStores } from './create-sql-stores.js';
import { parseDatabaseUrl, redactDatabaseUrl } from './database-url.js';

describe('parseDatabaseUrl', () => {
  it('reads SQLite files, relative and absolute, and the in-memory database', () => {
    expect(parseDatabaseUrl('sqlite:./data/playtally.db')).toEqual({
      dialect: 'sqlite',
      filename: './data/playtally.db',
    });
    expect(parseDatabaseUrl('sqlite:/var/lib/playtally.db')).toEqual({
      dialect: 'sqlite',
      filename: '/var/lib/playtally.db',
    });
    expect(parseDatabaseUrl('sqlite:///var/lib/playtally.db')).toEqual({
      dialect: 'sqlite',
      filename: '/var/lib/playtally.db',
    });
    expect(parseDatabaseUrl('sqlite::memory:')).toEqual({
      dialect: 'sqlite',
      filename: ':memory:',
    });
  });

  it('passes postgres:// and postgresql:// URLs through as connection strings', () => {
    for (const url of ['postgres://u:p@db:5432/app', 'postgresql://db/app?sslmode=disable']) {
      expect(parseDatabaseUrl(url)).toEqual({ dialect: 'postgres', connectionString: url });
    }
  });

  it('rejects other schemes with CONFIG_INVALID and never shows the password', () => {
    let caught: unknown;
    try {
      parseDatabaseUrl('mysql://admin:hunter2@db:3306/app');
    } catch (error) {
      caught = error;
    }
    expect(caught).toMatchObject({ code: 'CONFIG_INVALID' });
    expect((caught as Error).message).toContain('mysql://admin:***@db:3306/app');
    expect((caught as Error).message).not.toContain('hunter2');
    expect(() => parseDatabaseUrl('./data/playtally.db')).toThrow(
      expect.objectContaining({ code: 'CONFIG_INVALID' }),
    );
    expect(() => parseDatabaseUrl('sqlite:')).toThrow(
      expect.objectContaining({ code: 'CONFIG_INVALID' }),
    );
  });
});

describe('redactDatabaseUrl', () => {
  it('masks the password and leaves URLs without one alone', () => {
    expect(redactDatabaseUrl('postgres://user:s3cr%40t@host/db')).toBe(
      'postgres://user:***@host/db',
    );
    expect(redactDatabaseUrl('postgres://user@host/db')).toBe('postgres://user@host/db');
    expect(redactDatabaseUrl('sqlite:./x.db')).toBe('sqlite:./x.db');
  });
});

describe('createSqlStores', () => {
  it('opens SQLite from a URL, creating the file under a new directory', async () => {
    const directory = await mkdtemp(join(tmpdir(), 'playtally-url-'));
    try {
      const stores = await createSqlStores({ url: `sqlite:${join(directory, 'data', 'p.db')}` });
      expect(stores.dialect).toBe('sqlite');
      await stores.ping();
      await stores.close();
      await stores.close();
    } finally {
      await rm(directory, { recursive: true, force: true });
    }
  });

  it('opens an in-memory SQLite database from sqlite::memory:', async () => {
    const stores = await createSqlStores({ url: 'sqlite::memory:' });
    await expect(stores.jobs.countByStatus()).resolves.toMatchObject({ queued: 0 });
    await stores.close();
  });

  it('fails with STORE_ERROR, password redacted, when PostgreSQL is unreachable', async () => {
    const failure = createSqlStores({ url: 'postgres://app:hunter2@127.0.0.1:1/app' });
    await expect(failure).rejects.toMatchObject({ code: 'STORE_ERROR' });
    const message = await failure.catch((error: Error) => error.message);
    expect(message).toContain('postgres://app:***@127.0.0.1:1/app');
    expect(message).not.toContain('hunter2');
  });
});
