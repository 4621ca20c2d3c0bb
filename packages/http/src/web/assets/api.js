// Talks to the playtally REST API of the server that served this page. Every URL is relative to
// the page, so the page works behind a path prefix and never contacts another origin.

const KEY_STORAGE = 'playtally.apiKey';

/** An error answer of the API, carrying its HTTP status and `{error: {code, message}}`. */
export class ApiError extends Error {
  /**
   * @param {number} status
   * @param {string} code
   * @param {string} message
   */
  constructor(status, code, message) {
    super(message);
    this.name = 'ApiError';
    this.status = status;
    this.code = code;
  }
}

/** @type {Set<(error: ApiError) => void>} */
const unauthorizedListeners = new Set();

/**
 * Registers a callback run whenever the API answers 401, so the page can ask for a key.
 * @param {(error: ApiError) => void} listener
 */
export function onUnauthorized(listener) {
  unauthorizedListeners.add(listener);
}

let sessionKey = getApiKey();

/** @returns {string} the stored API key, or an empty string */
export function getApiKey() {
  try {
    return localStorage.getItem(KEY_STORAGE) ?? '';
  } catch {
    return '';
  }
}

/** @param {string} key an empty key forgets the stored one */
export function setApiKey(key) {
  try {
    if (key) localStorage.setItem(KEY_STORAGE, key);
    else localStorage.removeItem(KEY_STORAGE);
  } catch {
    // Storage may be disabled (private mode); the key then lasts for this page only.
  }
  sessionKey = key;
}

/** @param {string} path */
export function apiUrl(path) {
  return new URL(path.replace(/^\//, ''), document.baseURI).toString();
}

/** @returns {Record<string, string>} */
function authHeaders() {
  return sessionKey ? { 'X-API-Key': sessionKey } : {};
}

/**
 * Turns a failed response into an {@link ApiError}, reading the API's JSON error body when there
 * is one, and tells the 401 listeners.
 * @param {number} status
 * @param {string} bodyText
 * @param {string} statusText
 */
function toApiError(status, bodyText, statusText) {
  let code = `HTTP_${status}`;
  let message = statusText || `request failed with status ${status}`;
  try {
    const body = JSON.parse(bodyText);
    if (body && typeof body === 'object' && body.error && typeof body.error === 'object') {
      if (typeof body.error.code === 'string') code = body.error.code;
      if (typeof body.error.message === 'string') message = body.error.message;
    }
  } catch {
    if (bodyText.trim()) message = bodyText.trim().slice(0, 300);
  }
  const error = new ApiError(status, code, message);
  if (status === 401) for (const listener of unauthorizedListeners) listener(error);
  return error;
}

/**
 * Calls the API and returns its JSON answer; rejects with an {@link ApiError} otherwise.
 * @param {string} path e.g. `v1/jobs`
 * @param {{ method?: string, json?: unknown }} [options]
 */
export async function apiJson(path, options = {}) {
  /** @type {Record<string, string>} */
  const headers = { Accept: 'application/json', ...authHeaders() };
  /** @type {RequestInit} */
  const init = { method: options.method ?? 'GET', headers };
  if (options.json !== undefined) {
    headers['Content-Type'] = 'application/json';
    init.body = JSON.stringify(options.json);
  }
  let response;
  try {
    response = await fetch(apiUrl(path), init);
  } catch (cause) {
    throw new ApiError(0, 'NETWORK', `cannot reach the server (${String(cause)})`);
  }
  const text = await response.text();
  if (!response.ok) throw toApiError(response.status, text, response.statusText);
  return text ? JSON.parse(text) : null;
}

/**
 * Uploads a file as multipart field `file`, reporting upload progress (XMLHttpRequest is the
 * only browser API that reports request body progress).
 * @param {File} file
 * @param {{ query?: Record<string, string>, onProgress?: (loaded: number, total: number) => void }} [options]
 * @returns {Promise<{ id: string, status: string }>}
 */
export function uploadFile(file, options = {}) {
  return new Promise((resolve, reject) => {
    const url = new URL(apiUrl('v1/jobs'));
    for (const [name, value] of Object.entries(options.query ?? {})) {
      url.searchParams.set(name, value);
    }
    const xhr = new XMLHttpRequest();
    xhr.open('POST', url.toString());
    xhr.setRequestHeader('Accept', 'application/json');
    for (const [name, value] of Object.entries(authHeaders())) xhr.setRequestHeader(name, value);
    xhr.upload.onprogress = (event) => {
      if (event.lengthComputable) options.onProgress?.(event.loaded, event.total);
    };
    xhr.onload = () => {
      if (xhr.status >= 200 && xhr.status < 300) {
        try {
          resolve(JSON.parse(xhr.responseText));
        } catch {
          reject(new ApiError(xhr.status, 'BAD_RESPONSE', 'the server answered with no job'));
        }
      } else {
        reject(toApiError(xhr.status, xhr.responseText, xhr.statusText));
      }
    };
    xhr.onerror = () => reject(new ApiError(0, 'NETWORK', 'the upload could not reach the server'));
    xhr.onabort = () => reject(new ApiError(0, 'ABORTED', 'the upload was aborted'));
    const form = new FormData();
    form.append('file', file, file.name);
    xhr.send(form);
  });
}

/**
 * Downloads a job's result. Without an API key a plain link does it; with one, the file is
 * fetched with the key and handed to the browser as a same-origin blob.
 * @param {string} href
 * @param {string} filename
 */
export async function downloadWithKey(href, filename) {
  const response = await fetch(href, { headers: authHeaders() });
  if (!response.ok) throw toApiError(response.status, await response.text(), response.statusText);
  const url = URL.createObjectURL(await response.blob());
  const link = document.createElement('a');
  link.href = url;
  link.download = filename;
  document.body.appendChild(link);
  link.click();
  link.remove();
  setTimeout(() => URL.revokeObjectURL(url), 10_000);
}

/** @returns {boolean} whether requests carry an API key */
export function hasApiKey() {
  return sessionKey !== '';
}

/** The WebSocket URL of the live events, with the key as `apiKey` when one is set. */
export function eventsUrl() {
  const url = new URL(apiUrl('v1/events'));
  url.protocol = url.protocol === 'https:' ? 'wss:' : 'ws:';
  if (sessionKey) url.searchParams.set('apiKey', sessionKey);
  return url.toString();
}
