import type { ThreadProgress } from './aggregation-thread.js';
import type { WorkMessage } from './thread-requests.js';

/**
 * A thread that does work requests for a run: a worker (`AggregationThread`) or the calling
 * thread itself (`LocalThread`). Requests resolve with their answer or reject with their error.
 */
export interface RangeThread {
  /** Names the thread in errors. */
  readonly index: number;
  /** False once the thread crashed, exited or was terminated. */
  readonly alive: boolean;
  request<T>(message: WorkMessage, onProgress?: ThreadProgress): Promise<T>;
  /** Stops the requests in progress (they reject with `ABORTED`). */
  abort(): void;
  /** Stops the thread; resolves once nothing of it runs any more. Idempotent. */
  terminate(): Promise<void>;
}
