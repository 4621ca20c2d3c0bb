import type { ThreadProgress } from './aggregation-thread.js';
import type { RangeThread } from './range-thread.js';
import { runWorkRequest, type WorkMessage, type WorkRequest } from './thread-requests.js';

/**
 * The calling thread, seen as one more aggregation thread: a run on N threads starts N - 1
 * workers and does the remaining share here, where the thread would otherwise only wait (one
 * JavaScript runtime fewer to start, and to hold in memory). Its work yields to the event loop
 * between chunks, so the workers' messages and an abort still get through.
 */
export class LocalThread implements RangeThread {
  readonly index = 0;
  private readonly running = new Map<Promise<unknown>, AbortController>();
  private stopped = false;

  get alive(): boolean {
    return !this.stopped;
  }

  request<T>(message: WorkMessage, onProgress?: ThreadProgress): Promise<T> {
    const controller = new AbortController();
    const work = runWorkRequest({ ...message, id: 0 } as WorkRequest, controller.signal, (b, r) =>
      onProgress?.(b, r),
    );
    this.running.set(work, controller);
    const forget = () => this.running.delete(work);
    work.then(forget, forget);
    return work as Promise<T>;
  }

  abort(): void {
    for (const controller of this.running.values()) controller.abort(new Error('stopped'));
  }

  /** Aborts the requests in progress and resolves once they have all settled. */
  async terminate(): Promise<void> {
    this.stopped = true;
    this.abort();
    await Promise.allSettled([...this.running.keys()]);
  }
}
