import { PlaytallyError } from '@playtally/core';
import { normalizeTimestamp } from './timestamp.js';

/** Page size when a {@link PageRequest} names none. */
export const DEFAULT_PAGE_LIMIT = 50;

/** Largest page a store returns; larger requests are clamped to it. */
export const MAX_PAGE_LIMIT = 500;

/**
 * Where a newest-first list stopped: the sort timestamp and id of the last item served. Stores
 * list by `(at desc, id desc)` and resume strictly after this position (keyset pagination), so
 * items inserted meanwhile never shift a page and ties on `at` are broken by id.
 */
export interface PagePosition {
  /** ISO 8601 timestamp the list sorts by (`createdAt` of jobs, `receivedAt` of messages). */
  readonly at: string;
  readonly id: string;
}

/**
 * The page size to use for `limit`: the default when absent, clamped to {@link MAX_PAGE_LIMIT}.
 * Rejects with `VALIDATION_FAILED` unless `limit` is a positive integer.
 */
export function resolvePageLimit(limit: number | undefined): number {
  if (limit === undefined) return DEFAULT_PAGE_LIMIT;
  if (!Number.isInteger(limit) || limit < 1) {
    throw new PlaytallyError(
      'VALIDATION_FAILED',
      `limit must be a whole number of at least 1, got ${limit}`,
      {
        details: { limit },
      },
    );
  }
  return Math.min(limit, MAX_PAGE_LIMIT);
}

/** Encodes a position as the opaque `nextCursor` of a {@link Page} (base64url JSON). */
export function encodePageCursor(position: PagePosition): string {
  return Buffer.from(JSON.stringify([position.at, position.id]), 'utf8').toString('base64url');
}

/**
 * Decodes a cursor made by {@link encodePageCursor}; `undefined` for a null, absent or empty
 * cursor (the first page). Rejects with `VALIDATION_FAILED` for anything else that is not a cursor.
 */
export function decodePageCursor(cursor: string | null | undefined): PagePosition | undefined {
  if (cursor === undefined || cursor === null || cursor === '') return undefined;
  let decoded: unknown;
  try {
    if (!/^[A-Za-z0-9_-]+$/.test(cursor)) throw new Error('not base64url');
    decoded = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8'));
  } catch {
    decoded = undefined;
  }
  if (
    !Array.isArray(decoded) ||
    decoded.length !== 2 ||
    typeof decoded[0] !== 'string' ||
    typeof decoded[1] !== 'string' ||
    Number.isNaN(Date.parse(decoded[0]))
  ) {
    throw new PlaytallyError(
      'VALIDATION_FAILED',
      'cursor must be the nextCursor of a previous page, passed unchanged',
      {
        details: { cursor },
      },
    );
  }
  return { at: normalizeTimestamp(decoded[0], 'cursor'), id: decoded[1] };
}

/** Orders two positions newest first: negative when `a` comes before `b`. */
export function compareNewestFirst(a: PagePosition, b: PagePosition): number {
  if (a.at !== b.at) return a.at > b.at ? -1 : 1;
  if (a.id !== b.id) return a.id > b.id ? -1 : 1;
  return 0;
}
