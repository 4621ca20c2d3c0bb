import {
  decodePageCursor,
  encodePageCursor,
  type Page,
  type PagePosition,
  type PageRequest,
  resolvePageLimit,
} from '@playtally/service';
import { type Kysely, type Selectable, sql } from 'kysely';
import type { Database } from './database.js';

/** The timestamp each table's lists are ordered by, newest first. */
const ORDER_COLUMN = {
  jobs: 'created_at',
  messages: 'received_at',
  dead_letters: 'dead_lettered_at',
} as const satisfies Partial<Record<keyof Database, string>>;

/** The tables listed newest first. */
type ListedTable = keyof typeof ORDER_COLUMN;

/**
 * One page of `table`, newest first, by keyset: `(timestamp, id) < cursor`, ordered by both
 * descending, one row more than the limit to know whether a next page exists. The cursor is
 * opaque to clients and survives rows inserted meanwhile (they sort before it). `equals` keeps
 * only rows whose columns hold the given values (e.g. one topic).
 */
export async function listNewestFirst<T extends ListedTable, Item extends { id: string }>(
  db: Kysely<Database>,
  table: T,
  request: PageRequest,
  toItem: (row: Selectable<Database[T]>) => Item,
  timestampOf: (item: Item) => string,
  equals: Readonly<Record<string, string>> = {},
): Promise<Page<Item>> {
  const limit = resolvePageLimit(request.limit);
  const after = decodePageCursor(request.cursor);
  const at = sql.ref(ORDER_COLUMN[table]);
  let query = db
    .selectFrom(table as keyof Database)
    .selectAll()
    .orderBy(at, 'desc')
    .orderBy(sql.ref('id'), 'desc')
    .limit(limit + 1);
  for (const [column, value] of Object.entries(equals))
    query = query.where(sql<boolean>`${sql.ref(column)} = ${value}`);
  if (after !== undefined)
    query = query.where(sql<boolean>`(${at}, id) < (${after.at}, ${after.id})`);
  const rows = (await query.execute()) as Selectable<Database[T]>[];
  const items = rows.slice(0, limit).map(toItem);
  const last = items[items.length - 1];
  const position: PagePosition | undefined =
    rows.length > limit && last !== undefined ? { at: timestampOf(last), id: last.id } : undefined;
  return { items, nextCursor: position === undefined ? null : encodePageCursor(position) };
}
