// Entry point of the playtally web page: wires the panels to the API and the live events.

import { eventsUrl, getApiKey, onUnauthorized, setApiKey } from './api.js';
import { connectEvents } from './connection.js';
import { byId } from './dom.js';
import { createJobsTable } from './jobs.js';
import { createMessagesPanel } from './messages.js';
import { createResultView } from './result.js';
import { createSystemPanel } from './system.js';
import { createThroughputChart } from './throughput.js';
import { createUploadPanel } from './upload.js';

const connection = byId('connection');
const connectionText = byId('connection-text');
const keyPanel = byId('api-key-panel');
const keyForm = /** @type {HTMLFormElement} */ (byId('api-key-form'));
const keyInput = /** @type {HTMLInputElement} */ (byId('api-key'));
const keyReason = byId('api-key-reason');

const resultView = createResultView();
const jobs = createJobsTable({ onViewResult: (job) => void resultView.open(job) });
const messages = createMessagesPanel();
const system = createSystemPanel();
const throughput = createThroughputChart();
createUploadPanel({
  onUploaded(job) {
    jobs.upsert({ createdAt: new Date().toISOString(), ...job });
    jobs.refreshOne(job.id);
  },
});

function reloadLists() {
  jobs.reload();
  messages.reload();
  system.reload();
  throughput.reload();
}

const events = connectEvents({
  url: eventsUrl,
  onEvent(event) {
    if (event.type.startsWith('job.')) jobs.handleEvent(event);
    else if (event.type.startsWith('message.')) messages.handleEvent(event);
    system.handleEvent(event);
    throughput.handleEvent(event);
  },
  onState(state, retryInMs) {
    connection.dataset.state = state;
    connectionText.textContent =
      state === 'connected'
        ? 'Connected'
        : state === 'connecting'
          ? 'Connecting…'
          : `Disconnected, retrying in ${Math.max(1, Math.round((retryInMs ?? 0) / 1000))} s`;
  },
  onOpen() {
    // Whatever happened before the socket opened (or while it was down) is only in the lists.
    reloadLists();
  },
});

onUnauthorized((error) => {
  keyReason.textContent = getApiKey()
    ? `The server refused the stored API key (${error.message}). Enter a valid one.`
    : 'This server asks for an API key.';
  if (keyPanel.hidden) {
    keyPanel.hidden = false;
    keyInput.focus();
  }
});

keyForm.addEventListener('submit', (event) => {
  event.preventDefault();
  setApiKey(keyInput.value.trim());
  keyInput.value = '';
  keyPanel.hidden = true;
  reloadLists();
  events.reconnectNow();
});

byId('jobs-refresh').addEventListener('click', () => jobs.reload());

// Show the lists at once, even if the events socket cannot connect.
reloadLists();
