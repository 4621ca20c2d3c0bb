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
 * }} options
 */
export function createPagedList({ path, more, accept, errorBox, showError }) {
  /** @type {string | null} */
  let nextCursor = null;
  /** Whether older pages were loaded: a reload of the first page then keeps their cursor. */
  let loadedMore = false;

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
    } catch (error) {
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
