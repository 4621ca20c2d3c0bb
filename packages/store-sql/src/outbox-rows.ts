import {
  type CloudEvent,
  type IdempotencyRecord,
  type OutboxEntry,
  type OutgoingEvent,
  PlaytallyError,
} from '@playtally/service';
import type { Kysely, Selectable, Transaction } from 'kysely';
import { v7 as uuidv7 } from 'uuid';
import type { Database, OutboxTable } from './database.js';

/** A Kysely instance or a transaction on it. */
export type Executor = Kysely<Database> | Transaction<Database>;

/**
 * Inserts `events` into the outbox in the caller's transaction, available at once or from
 * their `claimedUntil`.
 */
export async function insertOutboxRows(
  trx: Executor,
  events: readonly OutgoingEvent[],
  at: string,
): Promise<void> {
  if (events.length === 0) return;
  await trx
    .insertInto('outbox')
    .values(
      events.map((outgoing) => ({
        id: outgoing.entryId ?? uuidv7(),
        topic: outgoing.topic,
        event_key: outgoing.key ?? null,
        event: JSON.stringify(outgoing.event),
        attempts: 0,
        available_at:
          outgoing.claimedUntil === undefined ? at : new Date(outgoing.claimedUntil).toISOString(),
        created_at: at,
      })),
    )
    .execute();
}

/** An outbox row as the domain's {@link OutboxEntry}. */
export function outboxEntryFromRow(row: Selectable<OutboxTable>): OutboxEntry {
  return {
    id: row.id,
    topic: row.topic,
    ...(row.event_key === null ? {} : { key: row.event_key }),
    event: JSON.parse(row.event) as CloudEvent,
    attempts: Number(row.attempts),
    createdAt: row.created_at,
  };
}

/**
 * Records an idempotency key in the caller's transaction; a key already recorded rejects with
 * `CONFLICT` (details: `{ idempotencyKey }`), which rolls the transaction back.
 */
export async function insertIdempotencyKey(
  trx: Executor,
  scope: 'jobs' | 'messages',
  record: IdempotencyRecord,
  resourceId: string,
  at: string,
): Promise<void> {
  const inserted = await trx
    .insertInto('idempotency_keys')
    .values({
      scope,
      key: record.key,
      fingerprint: record.fingerprint,
      resource_id: resourceId,
      created_at: at,
    })
    .onConflict((conflict) => conflict.columns(['scope', 'key']).doNothing())
    .returning('key')
    .executeTakeFirst();
  if (inserted === undefined) {
    throw new PlaytallyError('CONFLICT', 'the idempotency key is already used', {
      details: { idempotencyKey: record.key },
    });
  }
}

/** What an idempotency key of `scope` created, or `undefined`. */
export async function findIdempotencyKey(db: Executor, scope: 'jobs' | 'messages', key: string) {
  const row = await db
    .selectFrom('idempotency_keys')
    .select(['fingerprint', 'resource_id'])
    .where('scope', '=', scope)
    .where('key', '=', key)
    .executeTakeFirst();
  return row === undefined
    ? undefined
    : { fingerprint: row.fingerprint, resourceId: row.resource_id };
}
