import { parentPort } from 'node:worker_threads';
import { serializeError, type ThreadReply, type ThreadRequest } from './thread-messages.js';
import { runWorkRequest } from './thread-requests.js';

/*
 * The entry point of an aggregation thread: it counts spans, aggregates ranges and merges
 * slices of a file when asked (see thread-messages.ts), and stops a request on `abort`.
 */

const port = parentPort;
if (port === null) throw new Error('range-worker.ts runs only as a worker thread');
/** The signal of each request in progress, by id. */
const running = new Map<number, AbortController>();
const reply = (message: ThreadReply) => port.postMessage(message);

port.on('message', (request: ThreadRequest) => {
  if (request.type === 'abort') {
    running.get(request.id)?.abort(new Error('stopped by the main thread'));
    return;
  }
  // Anything else is a bug in the main thread: crash loudly (it reports this thread as crashed).
  if (request.type !== 'count' && request.type !== 'aggregate' && request.type !== 'merge') {
    throw new Error(`unknown request ${JSON.stringify(request)}`);
  }
  const controller = new AbortController();
  running.set(request.id, controller);
  runWorkRequest(request, controller.signal, (bytesRead, rowsRead) =>
    reply({ type: 'progress', id: request.id, bytesRead, rowsRead }),
  )
    .then(
      (value) => reply({ type: 'done', id: request.id, value }),
      (error: unknown) => reply({ type: 'failed', id: request.id, error: serializeError(error) }),
    )
    .finally(() => running.delete(request.id));
});
