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
}

/** The schema `@playtally/store-sql` owns, for typed queries through {@link SqlStores.db}. */
export interface Database {
  jobs: JobsTable;
  messages: MessagesTable;
}
