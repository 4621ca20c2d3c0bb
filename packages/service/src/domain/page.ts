/** A page of a list, newest first, with an opaque cursor for the next page. */
export interface Page<T> {
  readonly items: readonly T[];
  /** Pass as `cursor` to get the next page; `null` on the last page. */
  readonly nextCursor: string | null;
}

/** Paging parameters. */
export interface PageRequest {
  /** @default 50 (max 500) */
  limit?: number;
  cursor?: string | null;
}
