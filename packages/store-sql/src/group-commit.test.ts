import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createMessageService, type MessageStore, type PostMessageInput } from '@playtally/service';
import Sqlite from 'better-sqlite3';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { SqlStores } from './sql-stores.js';
import { createSqliteStores } from './sqlite-stores.js';

// Group commit (the message service's batcher) on a real SQLite file: posts of one turn of the
// event loop share one transaction, yet each request gets its own outcome.

let directory: string;
let filename: string;
let stores: SqlStores;
/** The size of every `insertMany` call, in order. */
let batches: number[];
let messages: MessageStore;

beforeEach(async () => {
  directory = await mkdtemp(join(tmpdir(), 'playtally-group-commit-'));
  filename = join(directory, 'playtally.db');
  stores = await createSqliteStores({ filename });
  batches = [];
  const real = stores.messages;
  messages = {
    ...real,
    insertMany(writes) {
      batches.push(writes.length);
      return real.insertMany(writes);
    },
  };
});

afterEach(async () => {
  await stores.close();
  await rm(directory, { recursive: true, force: true });
});

/** Posts all inputs in the same turn of the event loop. */
function postTogether(inputs: readonly PostMessageInput[]) {
  const service = createMessageService({ messages });
  return Promise.allSettled(inputs.map((input) => service.post(input)));
}

describe('group commit on SQLite', () => {
  it('commits the posts of one turn in one batch, each with its own row and events', async () => {
    const results = await postTogether(Array.from({ length: 5 }, (_, n) => ({ data: { n } })));
    expect(batches).toEqual([5]);
    const stored = results.map((result) => {
      if (result.status !== 'fulfilled') throw result.reason;
      return result.value;
    });
    expect(stored.map((message) => message.data)).toEqual([0, 1, 2, 3, 4].map((n) => ({ n })));
    expect(new Set(stored.map((message) => message.id)).size).toBe(5);
    for (const message of stored) expect(await stores.messages.get(message.id)).toEqual(message);
    expect(await stores.messages.outbox.pending()).toBe(10); // message.received + the message
  });

  it('fails only the request of a bad row; the rest of its batch is stored', async () => {
    const results = await postTogether([
      { data: { n: 1 }, idempotencyKey: 'order-7' },
      { data: { n: 2 } },
      // The same key with another message: its row cannot be written.
      { data: { n: 3 }, idempotencyKey: 'order-7' },
      { data: { n: 4 } },
    ]);
    // The batch of four failed as a whole, then each write was committed alone.
    expect(batches).toEqual([4, 1, 1, 1, 1]);
    expect(results.map((result) => result.status)).toEqual([
      'fulfilled',
      'fulfilled',
      'rejected',
      'fulfilled',
    ]);
    expect((results[2] as PromiseRejectedResult).reason).toMatchObject({
      code: 'IDEMPOTENCY_KEY_REUSED',
    });
    const page = await stores.messages.list();
    expect(
      page.items.map((message) => message.data).sort((a, b) => Number(a.n) - Number(b.n)),
    ).toEqual([{ n: 1 }, { n: 2 }, { n: 4 }]);
    expect(await stores.messages.outbox.pending()).toBe(6);
  });

  it('fails every request of a batch the database refuses, and loses no acknowledged message', async () => {
    const acknowledged = await postTogether([{ data: { n: 1 } }, { data: { n: 2 } }]);
    expect(acknowledged.every((result) => result.status === 'fulfilled')).toBe(true);

    // Another connection takes the outbox table away: every commit fails, atomically.
    const other = new Sqlite(filename);
    try {
      other.exec('ALTER TABLE outbox RENAME TO outbox_away');
      const failed = await postTogether([
        { data: { n: 3 } },
        { data: { n: 4 } },
        { data: { n: 5 } },
      ]);
      expect(batches).toEqual([2, 3, 1, 1, 1]);
      for (const result of failed) {
        expect(result.status).toBe('rejected');
        const error = (result as PromiseRejectedResult).reason;
        expect(error).toMatchObject({ code: 'STORE_ERROR', details: { component: 'database' } });
        expect(error.message).toMatch(/insert 1 messages failed: no such table: outbox/);
      }
    } finally {
      other.exec('ALTER TABLE outbox_away RENAME TO outbox');
      other.close();
    }

    // What was acknowledged is all there, with its events; nothing of the failed batch is.
    const ids = acknowledged.map(
      (result) => (result as PromiseFulfilledResult<{ id: string }>).value.id,
    );
    const page = await stores.messages.list();
    expect(page.items.map((message) => message.id).sort()).toEqual([...ids].sort());
    expect(await stores.messages.outbox.pending()).toBe(4);
    // And the store takes new posts again.
    const again = await postTogether([{ data: { n: 6 } }]);
    expect(again[0]?.status).toBe('fulfilled');
  });
});
