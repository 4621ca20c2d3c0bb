// Small DOM helpers. Everything the server sends reaches the page as text nodes or attribute
// values set through the DOM API, never as HTML, so no server-provided string can inject markup.

/**
 * Creates an element. `attrs` values that are `false`, `null` or `undefined` are left out;
 * `true` sets a boolean attribute; keys starting with `on` add event listeners. Children may be
 * nodes, strings (added as text) or nested arrays; `null`/`undefined`/`false` are skipped.
 * @param {string} tag
 * @param {Record<string, unknown>} [attrs]
 * @param {...unknown} children
 * @returns {HTMLElement}
 */
export function h(tag, attrs = {}, ...children) {
  const element = document.createElement(tag);
  for (const [name, value] of Object.entries(attrs)) {
    if (value === false || value === null || value === undefined) continue;
    if (name.startsWith('on') && typeof value === 'function') {
      element.addEventListener(name.slice(2).toLowerCase(), /** @type {EventListener} */ (value));
    } else if (name in element && name !== 'list' && typeof value !== 'string') {
      // Properties such as `value` of <progress> or `hidden`.
      /** @type {Record<string, unknown>} */ (/** @type {unknown} */ (element))[name] = value;
    } else {
      element.setAttribute(name, value === true ? '' : String(value));
    }
  }
  append(element, children);
  return element;
}

/**
 * @param {Node} parent
 * @param {unknown[]} children
 */
function append(parent, children) {
  for (const child of children) {
    if (child === null || child === undefined || child === false) continue;
    if (Array.isArray(child)) append(parent, child);
    else if (child instanceof Node) parent.appendChild(child);
    else parent.appendChild(document.createTextNode(String(child)));
  }
}

/**
 * Looks an element up by id, failing loudly when the page and the script disagree.
 * @param {string} id
 * @returns {HTMLElement}
 */
export function byId(id) {
  const element = document.getElementById(id);
  if (!element) throw new Error(`playtally page: missing element #${id}`);
  return element;
}

/** @param {number | null | undefined} n */
export function formatCount(n) {
  return typeof n === 'number' && Number.isFinite(n) ? n.toLocaleString('en-US') : '–';
}

/**
 * A count with its noun in the right number: `1 row`, `2 rows`.
 * @param {number} n
 * @param {string} singular
 * @param {string} [plural]
 */
export function formatCounted(n, singular, plural = `${singular}s`) {
  return `${formatCount(n)} ${n === 1 ? singular : plural}`;
}

/**
 * Bytes with decimal units, as the CLI and the API count them (1 kB = 1000 bytes, 1 MB =
 * 1000 kB): `999 B`, `1.23 kB`, `59.7 MB`.
 * @param {number} bytes
 */
export function formatBytes(bytes) {
  if (!Number.isFinite(bytes)) return '–';
  if (bytes < 1000) return `${Math.round(bytes)} B`;
  const units = ['kB', 'MB', 'GB', 'TB'];
  let value = bytes / 1000;
  let unit = 0;
  while (value >= 999.95 && unit < units.length - 1) {
    value /= 1000;
    unit += 1;
  }
  return `${value.toFixed(value < 10 ? 2 : value < 100 ? 1 : 0)} ${units[unit]}`;
}

/**
 * A file name with break opportunities after `_` and `.` (a `-` has one already), so a long
 * name wraps between its parts rather than inside a word.
 * @param {string} name
 * @returns {unknown[]}
 */
export function breakableName(name) {
  return name
    .split(/(?<=[_.])/)
    .flatMap((part, index) => (index === 0 ? [part] : [h('wbr'), part]));
}

/** @param {number | null | undefined} ms */
export function formatDuration(ms) {
  if (typeof ms !== 'number' || !Number.isFinite(ms)) return '–';
  if (ms < 1000) return `${Math.round(ms)} ms`;
  if (ms < 60_000) return `${(ms / 1000).toFixed(1)} s`;
  const minutes = Math.floor(ms / 60_000);
  const seconds = Math.round((ms % 60_000) / 1000);
  return `${minutes} min ${seconds} s`;
}

/** @param {string | null | undefined} iso */
export function formatTime(iso) {
  if (!iso) return '–';
  const date = new Date(iso);
  if (Number.isNaN(date.getTime())) return '–';
  const sameDay = date.toDateString() === new Date().toDateString();
  return sameDay
    ? date.toLocaleTimeString([], { hour: '2-digit', minute: '2-digit', second: '2-digit' })
    : date.toLocaleString([], { dateStyle: 'short', timeStyle: 'short' });
}
