// The message form and the live feed. A message appears as "received" when the API stores it
// and turns "consumed" in place when the consumer has handled it.

import { ApiError, apiJson } from './api.js';
import { byId, formatTime, h } from './dom.js';
import { createPagedList } from './paged-list.js';

/**
 * @typedef {{
 *   id: string, type?: string, source?: string, data?: unknown,
 *   status: string, receivedAt?: string, consumedAt?: string | null,
 * }} Message
 */

/** @param {unknown} value @returns {value is Message} */
function isMessage(value) {
  return (
    !!value &&
    typeof value === 'object' &&
    typeof (/** @type {Message} */ (value).id) === 'string' &&
    typeof (/** @type {Message} */ (value).status) === 'string'
  );
}

/** Consumed is final: a late "received" never turns a consumed message back. */
const RANK = { received: 0, consumed: 1 };

/** @param {Message | undefined} old @param {Message} next */
function mergeMessage(old, next) {
  if (!old) return next;
  const oldRank = RANK[/** @type {keyof typeof RANK} */ (old.status)] ?? 0;
  const nextRank = RANK[/** @type {keyof typeof RANK} */ (next.status)] ?? 0;
  return nextRank >= oldRank ? { ...old, ...next } : { ...next, ...old };
}

/**
 * Parses the textarea: it must hold a JSON object (the API takes objects, not arrays or
 * scalars). Returns the object, or a message saying what is wrong.
 * @param {string} text
 * @returns {{ ok: true, value: Record<string, unknown> } | { ok: false, reason: string }}
 */
export function parseMessageJson(text) {
  if (!text.trim()) return { ok: false, reason: 'Enter a JSON object, e.g. {"hello": "world"}.' };
  let value;
  try {
    value = JSON.parse(text);
  } catch (error) {
    return {
      ok: false,
      reason: `Not valid JSON: ${error instanceof Error ? error.message : error}`,
    };
  }
  if (!value || typeof value !== 'object' || Array.isArray(value)) {
    return {
      ok: false,
      reason: 'The message must be a JSON object ({ … }), not an array or a value.',
    };
  }
  return { ok: true, value };
}

/**
 * Wires the message form and the feed.
 */
export function createMessagesPanel() {
  const form = /** @type {HTMLFormElement} */ (byId('message-form'));
  const typeInput = /** @type {HTMLInputElement} */ (byId('message-type'));
  const textarea = /** @type {HTMLTextAreaElement} */ (byId('message-json'));
  const formError = byId('message-error');
  const feed = byId('feed');
  const empty = byId('feed-empty');
  const feedError = byId('feed-error');
  const more = /** @type {HTMLButtonElement} */ (byId('feed-more'));
  const submit = /** @type {HTMLButtonElement} */ (form.querySelector('button[type="submit"]'));
  /** @type {Map<string, Message>} */
  const messages = new Map();
  /** @type {Map<string, HTMLElement>} */
  const items = new Map();

  /** @param {Message} message */
  function renderItem(message) {
    const json = JSON.stringify(message.data ?? null, null, 2);
    return h(
      'li',
      { class: 'message', 'data-message-id': message.id, 'data-status': message.status },
      h(
        'div',
        { class: 'message-head' },
        h('span', { class: 'message-type' }, message.type ?? 'message'),
        h('span', { class: `badge state-${message.status}` }, message.status),
        h(
          'time',
          { datetime: message.consumedAt ?? message.receivedAt ?? '' },
          formatTime(message.consumedAt ?? message.receivedAt),
        ),
      ),
      h('pre', { class: 'message-data' }, json),
      h('small', { class: 'message-id' }, `id ${message.id}`),
    );
  }

  /** @param {Message} message */
  function upsert(message) {
    const merged = mergeMessage(messages.get(message.id), message);
    messages.set(message.id, merged);
    const item = renderItem(merged);
    const old = items.get(merged.id);
    items.set(merged.id, item);
    if (old) {
      old.replaceWith(item);
    } else {
      // Newest first: insert before the first item received earlier than this one.
      const at = merged.receivedAt ?? '';
      const after = [...items.entries()].find(
        ([id, element]) =>
          id !== merged.id && element.isConnected && (messages.get(id)?.receivedAt ?? '') < at,
      );
      feed.insertBefore(item, after ? after[1] : null);
    }
    empty.hidden = messages.size > 0;
  }

  /** @param {unknown} error */
  function showFeedError(error) {
    // A missing key is explained once, by the API key panel.
    if (error instanceof ApiError && error.status === 401) return;
    feedError.textContent = error instanceof Error ? error.message : String(error);
  }

  const list = createPagedList({
    path: 'v1/messages',
    more,
    accept: (message) => {
      if (isMessage(message)) upsert(message);
    },
    errorBox: feedError,
    showError: showFeedError,
    empty: { element: empty, text: 'No messages yet.', count: () => messages.size },
  });

  /** @param {string} reason */
  function invalid(reason) {
    formError.textContent = reason;
    textarea.setAttribute('aria-invalid', 'true');
  }

  textarea.addEventListener('input', () => {
    if (textarea.getAttribute('aria-invalid') !== 'true') return;
    const parsed = parseMessageJson(textarea.value);
    if (parsed.ok) {
      textarea.removeAttribute('aria-invalid');
      formError.textContent = '';
    }
  });

  form.addEventListener('submit', async (event) => {
    event.preventDefault();
    const parsed = parseMessageJson(textarea.value);
    if (!parsed.ok) {
      invalid(parsed.reason);
      textarea.focus();
      return;
    }
    textarea.removeAttribute('aria-invalid');
    formError.textContent = '';
    submit.disabled = true;
    try {
      const type = typeInput.value.trim();
      const query = type && type !== 'message' ? `?type=${encodeURIComponent(type)}` : '';
      const stored = await apiJson(`v1/messages${query}`, { method: 'POST', json: parsed.value });
      if (isMessage(stored)) upsert(stored);
    } catch (error) {
      invalid(`The server refused the message: ${error instanceof Error ? error.message : error}`);
    } finally {
      submit.disabled = false;
    }
  });

  /** @param {{ type: string, data: unknown }} event */
  function handleEvent(event) {
    const data = /** @type {Record<string, unknown>} */ (event.data ?? {});
    const message = isMessage(data.message) ? data.message : isMessage(data) ? data : null;
    if (message) upsert(message);
  }

  return { reload: list.reload, handleEvent };
}
