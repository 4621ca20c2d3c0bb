import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { Worker } from 'node:worker_threads';
import { PlaytallyError } from '../errors.js';
import type { RangeThread } from './range-thread.js';
import { deserializeError, type ThreadReply } from './thread-messages.js';
import type { WorkMessage } from './thread-requests.js';

/** Progress of one request: bytes and rows read so far. */
export type ThreadProgress = (bytesRead: number, rowsRead: number) => void;

interface Pending {
  resolve(value: unknown): void;
  reject(error: unknown): void;
  onProgress: ThreadProgress | undefined;
}

/**
 * One aggregation thread (a `worker_threads` Worker running range-worker.ts), seen from the
 * main thread as a promise per request. A thread that crashes or exits rejects whatever it was
 * doing with `INTERNAL`, naming the thread; `terminate()` stops it at once, wherever it is.
 */
export class AggregationThread implements RangeThread {
  private readonly worker: Worker;
  private readonly pending = new Map<number, Pending>();
  private nextId = 0;
  private stopped = false;

  constructor(readonly index: number) {
    this.worker = spawnWorker();
    this.worker.on('message', (reply: ThreadReply) => this.settle(reply));
    this.worker.on('error', (error) =>
      this.failAll(`aggregation thread ${index} crashed: ${error.message}`, error),
    );
    this.worker.on('exit', (code) => {
      if (!this.stopped) this.failAll(`aggregation thread ${index} exited with code ${code}`);
      this.stopped = true;
    });
  }

  /** Sends a request and resolves with its answer. */
  request<T>(message: WorkMessage, onProgress?: ThreadProgress): Promise<T> {
    if (this.stopped) {
      return Promise.reject(
        new PlaytallyError('INTERNAL', `aggregation thread ${this.index} has stopped`),
      );
    }
    const id = this.nextId++;
    return new Promise<T>((resolve, reject) => {
      this.pending.set(id, { resolve: resolve as (value: unknown) => void, reject, onProgress });
      this.worker.postMessage({ ...message, id });
    });
  }

  /** Asks the thread to stop its requests in progress (they then reject with `ABORTED`). */
  abort(): void {
    if (this.stopped) return;
    for (const id of this.pending.keys()) this.worker.postMessage({ type: 'abort', id });
  }

  /** True until the thread crashed, exited or was terminated. */
  get alive(): boolean {
    return !this.stopped;
  }

  /** Lets the process exit while this thread waits idle (`false`), or keeps it running (`true`). */
  keepProcessAlive(keep: boolean): void {
    if (keep) this.worker.ref();
    else this.worker.unref();
  }

  /** Stops the thread at once; resolves once it has stopped. Idempotent. */
  async terminate(): Promise<void> {
    if (this.stopped) return;
    this.stopped = true;
    await this.worker.terminate();
    this.failAll(`aggregation thread ${this.index} was stopped`);
  }

  private settle(reply: ThreadReply): void {
    const pending = this.pending.get(reply.id);
    if (pending === undefined) return;
    if (reply.type === 'progress') {
      pending.onProgress?.(reply.bytesRead, reply.rowsRead);
      return;
    }
    this.pending.delete(reply.id);
    if (reply.type === 'done') pending.resolve(reply.value);
    else pending.reject(deserializeError(reply.error));
  }

  private failAll(message: string, cause?: unknown): void {
    const error = new PlaytallyError('INTERNAL', message, { cause });
    for (const pending of this.pending.values()) pending.reject(error);
    this.pending.clear();
  }
}

/**
 * Starts range-worker: the built `.js` next to this module's bundle, or, when running from the
 * TypeScript sources (tests, `tsx`), the `.ts` source through tsx's loader.
 */
function spawnWorker(): Worker {
  const here = import.meta.url;
  if (here.endsWith('.ts')) {
    const source = new URL('./range-worker.ts', here).href;
    const tsxPackage = createRequire(here).resolve('tsx/package.json');
    const tsx = pathToFileURL(join(dirname(tsxPackage), 'dist/esm/api/index.mjs')).href;
    const boot = `import(${JSON.stringify(tsx)}).then((tsx) => { tsx.register(); return import(${JSON.stringify(source)}); });`;
    return new Worker(boot, { eval: true });
  }
  const built = new URL('./range-worker.js', here);
  if (!existsSync(fileURLToPath(built))) {
    throw new PlaytallyError(
      'INTERNAL',
      `the aggregation thread's code is missing: ${fileURLToPath(built)} (is the package built?)`,
    );
  }
  return new Worker(built);
}
