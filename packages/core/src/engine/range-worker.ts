import { parentPort } from 'node:worker_threads';
import { countFileSpan } from './file-boundaries.js';
import { writeOutputSlice } from './output-slices.js';
import { aggregateRangeToRuns } from './range-aggregation.js';
import {
  type AggregateReply,
  type AggregateRequest,
  serializeError,
  type ThreadReply,
  type ThreadRequest,
} from './thread-messages.js';

/*
 * The entry point of an aggregation thread: it counts spans and aggregates ranges of a file
 * when asked (see thread-messages.ts), one request at a time, and stops what it is doing on
 * `abort`.
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
  const signal = controller.signal;
  const work: Promise<unknown> =
    request.type === 'count'
      ? countFileSpan(request.path, request.start, request.cuts, signal)
      : request.type === 'merge'
        ? writeOutputSlice(request.slice, request.outPath, signal)
        : aggregateRange(request, signal);
  work
    .then(
      (value) => reply({ type: 'done', id: request.id, value }),
      (error: unknown) => reply({ type: 'failed', id: request.id, error: serializeError(error) }),
    )
    .finally(() => running.delete(request.id));
});

async function aggregateRange(
  request: AggregateRequest,
  signal: AbortSignal,
): Promise<AggregateReply> {
  const { options } = request;
  return aggregateRangeToRuns(
    request.path,
    request.range,
    request.size,
    request.header,
    { runDir: request.runDir, prefix: request.runPrefix },
    {
      ...options,
      signal,
      onProgress: ({ bytesRead, rowsRead }) =>
        reply({ type: 'progress', id: request.id, bytesRead, rowsRead }),
    },
    request.tuning,
  );
}
