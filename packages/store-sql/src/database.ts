import type { ColumnType } from 'kysely';

/**
 * The `jobs` table. JSON values (`progress`, `error`, `statistics`) are TEXT holding JSON and
 * timestamps are TEXT in `Date#toISOString()` form, identical on SQLite and PostgreSQL, so the
 * string order is the time order.
 */
export interface JobsTable {
  id: string;
  status: string;
  filename: string;
  input_key: string;
  result_key: string | null;
  /** BIGINT: PostgreSQL returns it as a string, SQLite as a number. */
  size_bytes: ColumnType<number | string, number, number>;
  on_invalid: string;
  progress: string;
  attempts: number;
  error: string | null;
  statistics: string | null;
  created_at: string;
  updated_at: string;
  started_at: string | null;
  finished_at: string | null;
  /** The worker holding the job's lease, if any. */
  lease_owner: string | null;
  /** The fencing token: grows by one each time another owner takes the lease. */
  lease_token: ColumnType<number, number | undefined, number>;
  lease_expires_at: string | null;
  /** A split job's part counts as JSON (`{ total, done, running }`); NULL when unsplit. */
  parts: ColumnType<string | null, string | null | undefined, string | null>;
}

/** The `job_parts` table: the byte ranges of split jobs and how far each got. */
export interface JobPartsTable {
  job_id: string;
  part_index: number;
  /** BIGINT columns: PostgreSQL returns them as strings, SQLite as numbers. */
  start_offset: ColumnType<number | string, number, number>;
  end_offset: ColumnType<number | string, number, number>;
  line: ColumnType<number | string, number, number>;
  status: string;
  bytes_read: ColumnType<number | string, number, number>;
  rows_read: ColumnType<number | string, number, number>;
  run_key: string | null;
  /** The part's range statistics as JSON, once done. */
  statistics: string | null;
  /** Why the part's input is bad, as JSON (`{ code, message }`), once done so. */
  error: string | null;
  updated_at: string;
}

/** The `messages` table. `data` is TEXT holding the message's JSON object. */
export interface MessagesTable {
  id: string;
  type: string;
  source: string;
  data: string;
  status: string;
  received_at: string;
  consumed_at: string | null;
  /** When the reconciler last published it again. */
  republished_at: ColumnType<string | null, string | null | undefined, string | null>;
}

/** The `outbox` table: events committed with their rows, waiting for the relay. */
export interface OutboxTable {
  /** UUID v7: the claim order. */
  id: string;
  topic: string;
  event_key: string | null;
  /** The CloudEvent as JSON. */
  event: string;
  attempts: number;
  /** Claimable from this instant (ISO 8601): now, or when a claim's lease or a retry delay ends. */
  available_at: string;
  created_at: string;
}

/** The `idempotency_keys` table: `Idempotency-Key`s and what they created. */
export interface IdempotencyKeysTable {
  /** `jobs` or `messages`. */
  scope: string;
  key: string;
  fingerprint: string;
  resource_id: string;
  created_at: string;
}

/**
 * The `dead_letters` table: events a consumer group gave up on. `event` is TEXT holding the
 * original event's binary-mode attributes and base64 body as JSON.
 */
export interface DeadLettersTable {
  id: string;
  topic: string;
  /** The consumer group (`group` is a reserved word in SQL). */
  consumer_group: string | null;
  reason: string;
  attempts: number;
  event_id: string;
  event_type: string;
  event: string;
  /** `pending` or `replayed`. */
  status: string;
  dead_lettered_at: string;
  replayed_at: string | null;
}

/** The schema `@playtally/store-sql` owns, for typed queries through {@link SqlStores.db}. */
export interface Database {
  jobs: JobsTable;
  job_parts: JobPartsTable;
  messages: MessagesTable;
  outbox: OutboxTable;
  idempotency_keys: IdempotencyKeysTable;
  dead_letters: DeadLettersTable;
}
