// Loads a newest-first list of the API page by page, for the jobs table and the message feed.
import { apiJson } from './api.js';

/**
 * Keeps a list loaded from `path` (`{ items, nextCursor }` pages): `reload()` fetches the first
 * page again (at start and after a reconnect) without forgetting older pages already loaded,
 * and the `more` button loads the next older page.
 * @param {{
 *   path: string,
 *   more: HTMLButtonElement,
 *   accept: (item: unknown) => void,
 *   errorBox: HTMLElement,
 *   showError: (error: unknown) => void,
 *   empty: { element: HTMLElement, text: string, count: () => number },
 * }} options `empty` is the list's placeholder: it says the list is loading until the first
 *   page arrives, then `text` while the list has no items.
 */
export function createPagedList({ path, more, accept, errorBox, showError, empty }) {
  /** @type {string | null} */
  let nextCursor = null;
  /** Whether older pages were loaded: a reload of the first page then keeps their cursor. */
  let loadedMore = false;
  /** Whether a first page has arrived: until then "no items" would not be true. */
  let loaded = false;

  /** @param {string | null} cursor */
  async function loadPage(cursor) {
    const query = cursor ? `?cursor=${encodeURIComponent(cursor)}` : '';
    const page = await apiJson(`${path}${query}`);
    for (const item of page?.items ?? []) accept(item);
    return typeof page?.nextCursor === 'string' ? page.nextCursor : null;
  }

  async function reload() {
    try {
      const cursor = await loadPage(null);
      if (!loadedMore) nextCursor = cursor; // else keep the cursor past the older pages
      more.hidden = nextCursor === null;
      errorBox.textContent = '';
      loaded = true;
      empty.element.textContent = empty.text;
      empty.element.hidden = empty.count() > 0;
    } catch (error) {
      if (!loaded) empty.element.hidden = true; // the error says why nothing is shown
      showError(error);
    }
  }

  more.addEventListener('click', async () => {
    try {
      nextCursor = await loadPage(nextCursor);
      loadedMore = true;
      more.hidden = nextCursor === null;
    } catch (error) {
      showError(error);
    }
  });

  return { reload };
}
