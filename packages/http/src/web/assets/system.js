// The "System" panel: worker processes (alive or lost), queue depths and dead letters with
// Replay and Discard. Worker and dead-letter events arrive on the events WebSocket; queue
// figures are read again (at most twice a second) whenever an event says something moved.

import { ApiError, apiJson } from './api.js';
import { byId, formatCount, formatTime, h } from './dom.js';

/** Heartbeats a worker may miss before the page shows it lost (as the API does). */
const MISSED_HEARTBEATS = 3;
/** Queue figures are read again at most this often. */
const QUEUE_REFRESH_MS = 500;

/**
 * @typedef {{ processed: number, failed: number }} RunCounts
 * @typedef {{ id: string, host: string, pid: number, version: string, transport: string,
 *   concurrency: number, activeJobs: string[], jobs: RunCounts, messages: RunCounts,
 *   heartbeatMs: number, status?: string }} Worker
 * @typedef {{ topic: string, group: string, ready: number, inFlight: number, consumers: number,
 *   deadLetters: number }} Queue
 * @typedef {{ id: string, topic: string, group: string | null, reason: string, attempts: number,
 *   eventType: string, status?: string, deadLetteredAt: string }} DeadLetter
 */

/** @param {unknown} value @returns {value is Worker} */
function isWorker(value) {
  const worker = /** @type {Partial<Worker> | null} */ (value);
  return (
    typeof worker === 'object' &&
    worker !== null &&
    typeof worker.id === 'string' &&
    typeof worker.heartbeatMs === 'number' &&
    Array.isArray(worker.activeJobs)
  );
}

/** Wires the System panel. */
export function createSystemPanel() {
  const workersBody = byId('workers-body');
  const workersEmpty = byId('workers-empty');
  const queuesBody = byId('queues-body');
  const letters = byId('dead-letters');
  const lettersEmpty = byId('dead-letters-empty');
  const errorBox = byId('system-error');
  /** @type {Map<string, { worker: Worker, seenAt: number }>} */
  const workers = new Map();
  /** @type {Map<string, DeadLetter>} */
  const deadLetters = new Map();
  /** @type {ReturnType<typeof setTimeout> | undefined} */
  let queueTimer;

  /** @param {unknown} error */
  function showError(error) {
    if (error instanceof ApiError && error.status === 401) return;
    errorBox.textContent = error instanceof Error ? error.message : String(error);
  }

  /** @param {{ worker: Worker, seenAt: number }} entry */
  function stateOf(entry) {
    const silent = Date.now() - entry.seenAt > MISSED_HEARTBEATS * entry.worker.heartbeatMs;
    return silent || entry.worker.status === 'lost' ? 'lost' : 'alive';
  }

  /** What the workers table shows, so a heartbeat that changes nothing redraws nothing. */
  let shown = '';

  function renderWorkers() {
    const entries = [...workers.values()].map((entry) => ({ ...entry, state: stateOf(entry) }));
    const showing = JSON.stringify(
      entries.map(({ worker, state }) => [state, { ...worker, sentAt: undefined }]),
    );
    if (showing === shown && workersBody.childElementCount === entries.length) return;
    shown = showing;
    const rows = entries
      .sort((a, b) =>
        a.state === b.state ? a.worker.id.localeCompare(b.worker.id) : a.state === 'alive' ? -1 : 1,
      )
      .map(({ worker, state }) =>
        h(
          'tr',
          { 'data-worker-id': worker.id, 'data-state': state },
          h(
            'td',
            { 'data-label': 'Worker', class: 'file' },
            h('span', { class: 'filename' }, `${worker.host} · pid ${worker.pid}`),
            h('small', {}, `${worker.id} · v${worker.version}`),
          ),
          h(
            'td',
            { 'data-label': 'State' },
            h(
              'span',
              { class: `badge state-${state === 'alive' ? 'succeeded' : 'failed'}` },
              state,
            ),
            state === 'lost' && worker.activeJobs.length > 0
              ? h('p', { class: 'note' }, `${worker.activeJobs.length} job(s) at risk`)
              : null,
          ),
          h(
            'td',
            { 'data-label': 'Active jobs', class: 'num' },
            `${worker.activeJobs.length} / ${worker.concurrency}`,
          ),
          h(
            'td',
            { 'data-label': 'Jobs done', class: 'num' },
            `${formatCount(worker.jobs.processed)} (${formatCount(worker.jobs.failed)} failed)`,
          ),
          h(
            'td',
            { 'data-label': 'Messages done', class: 'num' },
            `${formatCount(worker.messages.processed)} (${formatCount(worker.messages.failed)} failed)`,
          ),
          h('td', { 'data-label': 'Transport' }, worker.transport),
        ),
      );
    workersBody.replaceChildren(...rows);
    workersEmpty.hidden = rows.length > 0;
    workersEmpty.textContent = 'No worker has announced itself.';
  }

  /** @param {Queue[]} queues */
  function renderQueues(queues) {
    queuesBody.replaceChildren(
      ...queues.map((queue) =>
        h(
          'tr',
          { 'data-topic': queue.topic },
          h('td', { 'data-label': 'Topic' }, queue.topic),
          h('td', { 'data-label': 'Group' }, queue.group),
          h('td', { 'data-label': 'Ready', class: 'num' }, formatCount(queue.ready)),
          h('td', { 'data-label': 'In flight', class: 'num' }, formatCount(queue.inFlight)),
          h('td', { 'data-label': 'Consumers', class: 'num' }, formatCount(queue.consumers)),
          h('td', { 'data-label': 'Dead letters', class: 'num' }, formatCount(queue.deadLetters)),
        ),
      ),
    );
  }

  /** @param {DeadLetter} letter */
  function renderLetter(letter) {
    const replayed = letter.status === 'replayed';
    /** @param {string} what @param {() => Promise<void>} action */
    const act = (what, action) => async (/** @type {Event} */ event) => {
      const button = /** @type {HTMLButtonElement} */ (event.currentTarget);
      button.disabled = true;
      try {
        await action();
        errorBox.textContent = '';
      } catch (error) {
        showError(new Error(`${what} failed: ${error instanceof Error ? error.message : error}`));
        button.disabled = false;
      }
    };
    return h(
      'li',
      { class: 'message', 'data-dead-letter-id': letter.id, 'data-status': letter.status },
      h(
        'div',
        { class: 'message-head' },
        h('span', { class: 'message-type' }, letter.eventType),
        h(
          'span',
          { class: `badge state-${replayed ? 'consumed' : 'failed'}` },
          replayed ? 'replayed' : 'dead',
        ),
        h('time', { datetime: letter.deadLetteredAt }, formatTime(letter.deadLetteredAt)),
      ),
      h('p', { class: 'dead-letter-reason' }, letter.reason),
      h(
        'small',
        { class: 'message-id' },
        `${letter.topic} · group ${letter.group ?? '–'} · ${letter.attempts} attempt(s)`,
      ),
      h(
        'div',
        { class: 'row' },
        h(
          'button',
          {
            type: 'button',
            class: 'small',
            disabled: replayed,
            'aria-label': `Replay dead letter ${letter.eventType} ${letter.id}`,
            onclick: act('Replay', async () => {
              const updated = await apiJson(
                `v1/dead-letters/${encodeURIComponent(letter.id)}/replay`,
                {
                  method: 'POST',
                },
              );
              upsertLetter(updated);
            }),
          },
          'Replay',
        ),
        h(
          'button',
          {
            type: 'button',
            class: 'small danger',
            'aria-label': `Discard dead letter ${letter.eventType} ${letter.id}`,
            onclick: act('Discard', async () => {
              await apiJson(`v1/dead-letters/${encodeURIComponent(letter.id)}`, {
                method: 'DELETE',
              });
              deadLetters.delete(letter.id);
              renderLetters();
              scheduleQueues();
            }),
          },
          'Discard',
        ),
      ),
    );
  }

  function renderLetters() {
    const sorted = [...deadLetters.values()].sort((a, b) =>
      a.deadLetteredAt === b.deadLetteredAt
        ? b.id.localeCompare(a.id)
        : b.deadLetteredAt.localeCompare(a.deadLetteredAt),
    );
    letters.replaceChildren(...sorted.map(renderLetter));
    lettersEmpty.hidden = sorted.length > 0;
    lettersEmpty.textContent = 'No dead letters.';
  }

  /** @param {DeadLetter} letter */
  function upsertLetter(letter) {
    deadLetters.set(letter.id, { ...deadLetters.get(letter.id), ...letter });
    renderLetters();
    scheduleQueues();
  }

  async function loadQueues() {
    try {
      const answer = await apiJson('v1/queues');
      renderQueues(answer.items);
    } catch (error) {
      showError(error);
    }
  }

  function scheduleQueues() {
    if (queueTimer !== undefined) return;
    queueTimer = setTimeout(() => {
      queueTimer = undefined;
      void loadQueues();
    }, QUEUE_REFRESH_MS);
  }

  async function reload() {
    try {
      const [workerList, letterPage] = await Promise.all([
        apiJson('v1/workers'),
        apiJson('v1/dead-letters?limit=100'),
      ]);
      workers.clear();
      for (const worker of workerList.items) {
        if (isWorker(worker))
          workers.set(worker.id, { worker, seenAt: Date.parse(worker.lastSeenAt) });
      }
      deadLetters.clear();
      for (const letter of letterPage.items) deadLetters.set(letter.id, letter);
      renderWorkers();
      renderLetters();
      errorBox.textContent = '';
    } catch (error) {
      showError(error);
    }
    await loadQueues();
  }

  /** @param {{ type: string, data: unknown }} event */
  function handleEvent(event) {
    const data = /** @type {Record<string, unknown>} */ (event.data ?? {});
    if (event.type.startsWith('worker.') && isWorker(data.worker)) {
      const { worker } = data;
      if (event.type === 'worker.stopped') workers.delete(worker.id);
      else workers.set(worker.id, { worker, seenAt: Date.now() });
      renderWorkers();
    } else if (event.type === 'deadletter.recorded' && data.deadLetter) {
      upsertLetter({ status: 'pending', .../** @type {DeadLetter} */ (data.deadLetter) });
      return;
    }
    scheduleQueues();
  }

  // A worker that stops beating turns lost without any event: look again every second (the
  // table is redrawn only when what it shows changed).
  setInterval(renderWorkers, 1000);
  byId('system-refresh').addEventListener('click', () => void reload());

  return { reload, handleEvent };
}
