/**
 * A clock the contract suites own: frozen until a test moves it, so "several jobs created in
 * the same millisecond" is a fact of the test rather than luck.
 */
export interface ContractClock {
  readonly now: () => Date;
  /** Moves the clock forward by `ms` milliseconds. */
  advance(ms: number): void;
}

/** A fresh {@link ContractClock} starting at a fixed instant. */
export function createContractClock(start = '2031-03-04T05:06:07.000Z'): ContractClock {
  let millis = Date.parse(start);
  return {
    now: () => new Date(millis),
    advance(ms: number) {
      millis += ms;
    },
  };
}

/** Collects every item of a paginated list, following `nextCursor` to the end. */
export async function collectPages<T>(
  list: (request: { limit: number; cursor?: string | null }) => Promise<{
    readonly items: readonly T[];
    readonly nextCursor: string | null;
  }>,
  limit: number,
): Promise<{ items: T[]; pages: number }> {
  const items: T[] = [];
  let cursor: string | null = null;
  let pages = 0;
  do {
    const page: { readonly items: readonly T[]; readonly nextCursor: string | null } = await list({
      limit,
      cursor,
    });
    pages += 1;
    if (page.items.length > limit) throw new Error(`page of ${page.items.length} exceeds ${limit}`);
    if (page.nextCursor !== null && page.items.length === 0) {
      throw new Error('an empty page must not offer a next cursor');
    }
    items.push(...page.items);
    cursor = page.nextCursor;
    if (pages > 10_000) throw new Error('pagination does not terminate');
  } while (cursor !== null);
  return { items, pages };
}
