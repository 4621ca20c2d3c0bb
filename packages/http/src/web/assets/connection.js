// The live events WebSocket. It reconnects by itself with exponential backoff (and jitter, so a
// restarted server is not hit by every browser at once) and tells the page when it is back, so
// the page can reload the lists and catch up on what it missed while disconnected.

const FIRST_DELAY_MS = 500;
const MAX_DELAY_MS = 15_000;

/**
 * @typedef {'connecting' | 'connected' | 'disconnected'} ConnectionState
 * @typedef {{ id: string, type: string, source: string, time: string, data: unknown }} PageEvent
 */

/**
 * Opens the events socket and keeps it open.
 * @param {{
 *   url: () => string,
 *   onEvent: (event: PageEvent) => void,
 *   onState: (state: ConnectionState, retryInMs?: number) => void,
 *   onOpen: (reconnected: boolean) => void,
 * }} options
 */
export function connectEvents(options) {
  /** @type {WebSocket | null} */
  let socket = null;
  /** @type {ReturnType<typeof setTimeout> | null} */
  let retryTimer = null;
  let failures = 0;
  let everOpened = false;
  let closed = false;

  function open() {
    if (closed) return;
    retryTimer = null;
    options.onState('connecting');
    let ws;
    try {
      ws = new WebSocket(options.url());
    } catch {
      scheduleRetry();
      return;
    }
    socket = ws;
    ws.onopen = () => {
      failures = 0;
      options.onState('connected');
      options.onOpen(everOpened);
      everOpened = true;
    };
    ws.onmessage = (message) => {
      if (typeof message.data !== 'string') return;
      let event;
      try {
        event = JSON.parse(message.data);
      } catch {
        return; // Not an event; ignore rather than break the feed.
      }
      if (event && typeof event === 'object' && typeof event.type === 'string') {
        options.onEvent(event);
      }
    };
    ws.onclose = () => {
      if (socket !== ws) return;
      socket = null;
      scheduleRetry();
    };
    // An error is always followed by close, which schedules the retry.
    ws.onerror = () => {};
  }

  function scheduleRetry() {
    if (closed || retryTimer) return;
    const base = Math.min(MAX_DELAY_MS, FIRST_DELAY_MS * 2 ** failures);
    const delay = Math.round(base * (0.75 + Math.random() * 0.5));
    failures += 1;
    options.onState('disconnected', delay);
    retryTimer = setTimeout(open, delay);
  }

  /** Drops the current socket (if any) and connects again at once, e.g. after a new API key. */
  function reconnectNow() {
    if (retryTimer) clearTimeout(retryTimer);
    retryTimer = null;
    failures = 0;
    const old = socket;
    socket = null;
    old?.close();
    open();
  }

  // Coming back online or to the tab is a good moment to retry without waiting for the timer.
  window.addEventListener('online', () => {
    if (!socket) reconnectNow();
  });
  document.addEventListener('visibilitychange', () => {
    if (document.visibilityState === 'visible' && !socket) reconnectNow();
  });

  open();
  return {
    reconnectNow,
    close() {
      closed = true;
      if (retryTimer) clearTimeout(retryTimer);
      socket?.close();
    },
  };
}
