import type { Page } from '../domain/page.js';
import { compareNewestFirst, encodePageCursor, type PagePosition } from './page-cursor.js';

/**
 * The in-memory stores' list order: positions kept sorted newest first, so a page is a binary
 * search plus a slice rather than a sort of everything. Not exported from the package.
 */
export class NewestFirstIndex {
  readonly #positions: PagePosition[] = [];

  /** Adds a position; the caller guarantees its id is not present yet. */
  insert(position: PagePosition): void {
    this.#positions.splice(this.#firstAfter(position, true), 0, position);
  }

  /** Removes a position inserted before; absent positions are ignored. */
  remove(position: PagePosition): void {
    const index = this.#firstAfter(position, true);
    if (this.#positions[index]?.id === position.id) this.#positions.splice(index, 1);
  }

  /** Ids of the page after `cursor` (or the first page), with the cursor of the next page. */
  page(after: PagePosition | undefined, limit: number): Page<string> {
    const start = after === undefined ? 0 : this.#firstAfter(after, false);
    const slice = this.#positions.slice(start, start + limit);
    const last = slice[slice.length - 1];
    const more = start + limit < this.#positions.length;
    return {
      items: slice.map((position) => position.id),
      nextCursor: more && last !== undefined ? encodePageCursor(last) : null,
    };
  }

  /** Index of the first position strictly after `position` (or at it, when `inclusive`). */
  #firstAfter(position: PagePosition, inclusive: boolean): number {
    let low = 0;
    let high = this.#positions.length;
    while (low < high) {
      const middle = (low + high) >>> 1;
      const order = compareNewestFirst(this.#positions[middle]!, position);
      if (order < 0 || (order === 0 && !inclusive)) low = middle + 1;
      else high = middle;
    }
    return low;
  }
}
