import {
  type DeadLetterStore,
  type JobStore,
  type MessageStore,
  type OutboxStore,
  PlaytallyError,
} from '@playtally/service';
import { type Kysely, sql } from 'kysely';
import { connectionFailure } from './connection-failure.js';
import type { Database } from './database.js';
import { migrateDatabase } from './migrations.js';
import { createSqlDeadLetterStore } from './sql-dead-letter-store.js';
import { createSqlJobStore } from './sql-job-store.js';
import { createSqlMessageStore } from './sql-message-store.js';
import { createSqlOutboxStore } from './sql-outbox-store.js';
import { createClosedFlag, storeOperation } from './store-errors.js';

/** Which SQL database a {@link SqlStores} talks to. */
export type SqlDialectName = 'sqlite' | 'postgres';

/** Options every `create…Stores` factory accepts. */
export interface SqlStoresOptions {
  /** The clock read for timestamps, leases and outbox delays. @default () => new Date() */
  now?: () => Date;
}

/**
 * A job store and a message store sharing one database, migrated to the latest schema.
 *
 * Closing is reference-counted: the database closes once both `jobs` and `messages` are closed
 * (in any order, any number of times), so each owner may close the store it holds; `close()`
 * here closes both.
 */
export interface SqlStores {
  readonly jobs: JobStore;
  readonly messages: MessageStore;
  /** The outbox both stores write to (also `jobs.outbox` and `messages.outbox`). */
  readonly outbox: OutboxStore;
  /** Dead letters the service recorded; it closes with the database. */
  readonly deadLetters: DeadLetterStore;
  /** The Kysely instance, for typed queries of your own against {@link Database}. */
  readonly db: Kysely<Database>;
  readonly dialect: SqlDialectName;
  /**
   * Resolves when the database answers `SELECT 1` (for `/readyz` and the workers' database
   * gate); rejects with `STORE_UNAVAILABLE` while it is away.
   */
  ping(): Promise<void>;
  /** Closes both stores and the database. Idempotent. */
  close(): Promise<void>;
}

/** What {@link openSqlStores} needs besides the options. */
export interface OpenSqlStoresTarget {
  readonly db: Kysely<Database>;
  readonly dialect: SqlDialectName;
  /** Where the database is, for messages (no password): a file name or a redacted URL. */
  readonly location: string;
}

/**
 * Migrates `db` and builds the stores over it. If migration fails the database is closed and
 * the `STORE_ERROR` names the location. Used by the public factories; not exported.
 */
export async function openSqlStores(
  target: OpenSqlStoresTarget,
  options: SqlStoresOptions = {},
): Promise<SqlStores> {
  const { db, dialect, location } = target;
  const label = `${dialect} database at ${location}`;
  try {
    await migrateDatabase(db);
  } catch (error) {
    await db.destroy().catch(() => {});
    // One sentence: the migration's own wording only when it got as far as the database.
    const unreachable = connectionFailure(error);
    const message =
      unreachable === undefined
        ? `Cannot open the ${label}: ${error instanceof Error ? error.message : String(error)}`
        : `Cannot connect to the ${label}: ${unreachable}`;
    throw new PlaytallyError('STORE_ERROR', message, {
      cause: error,
      details: { dialect, location },
    });
  }

  let destroyed: Promise<void> | undefined;
  const state = createClosedFlag(label);
  let open = 2;
  const release = async (): Promise<void> => {
    open -= 1;
    if (open > 0) return;
    state.close();
    destroyed ??= db.destroy();
    await destroyed;
  };

  const now = options.now ?? (() => new Date());
  const outbox = createSqlOutboxStore({
    db,
    label: `${dialect} outbox at ${location}`,
    now,
    skipLocked: dialect === 'postgres',
    assertOpen: () => state.assertOpen(),
  });
  const jobs = createSqlJobStore({
    db,
    label: `${dialect} job store at ${location}`,
    now,
    outbox,
    release,
  });
  const messages = createSqlMessageStore({
    db,
    label: `${dialect} message store at ${location}`,
    now,
    outbox,
    release,
  });

  const deadLetters = createSqlDeadLetterStore({
    db,
    label: `${dialect} dead-letter store at ${location}`,
    assertOpen: () => state.assertOpen(),
  });

  return {
    jobs,
    messages,
    outbox,
    deadLetters,
    db,
    dialect,
    ping: () =>
      storeOperation(
        label,
        'ping',
        async () => {
          state.assertOpen();
          await sql`select 1`.execute(db);
        },
        'read',
      ),
    async close() {
      await Promise.all([jobs.close(), messages.close()]);
    },
  };
}
