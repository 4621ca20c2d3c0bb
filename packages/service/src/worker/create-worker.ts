import {
  type BackoffOptions,
  type CloudEvent,
  type DeliveryContext,
  errorFields,
  isUnrecoverableError,
  type Logger,
  PlaytallyError,
  type Subscription,
  silentLogger,
  type Transport,
  UnrecoverableError,
} from '@playtally/transport';
import { errorMessage } from '../errors.js';

/** What a processor receives: one task, taken from its topic. */
export interface WorkerJob<T> {
  /** The task's id: the event's `subject` when it has one, otherwise the event's `id`. */
  readonly id: string;
  /** The event's data, checked by the worker's `parse` when one is given. */
  readonly data: T;
  /** The whole CloudEvent the task came in. */
  readonly event: CloudEvent<T>;
  /** 1 on the first delivery, 2 on the first redelivery, and so on. */
  readonly attempt: number;
  /** Whether this is the last delivery before the task is dead-lettered. */
  readonly lastAttempt: boolean;
  /**
   * Aborted when the task is cancelled ({@link Worker.cancel}) or the worker is closing and its
   * close timeout ran out. A processor passes it on to its I/O and stops promptly.
   */
  readonly signal: AbortSignal;
  /** A logger bound to the task (`{ taskId }`). */
  readonly log: Logger;
  /** Reports progress; the worker hands it to `onProgress`. Never throws. */
  progress(value: unknown): void;
}

/**
 * Runs one task. Resolving completes it (the event is acknowledged); throwing makes the
 * transport deliver it again after a backoff, up to `maxAttempts`, then dead-letter it;
 * throwing an {@link UnrecoverableError} dead-letters it at once.
 */
export type Processor<T, R = void> = (job: WorkerJob<T>) => Promise<R>;

/** Options of {@link createWorker}. */
export interface WorkerOptions<T, R> {
  transport: Transport;
  /** The consumer group: workers of the same group share the tasks. @default 'workers' */
  group?: string;
  /** Tasks this worker runs at once. @default 1 */
  concurrency?: number;
  /** Deliveries of one task before it is dead-lettered. @default 5 */
  maxAttempts?: number;
  /** Delay between deliveries of a failing task. @default { initialMs: 100, maxMs: 5000, factor: 2 } */
  backoff?: BackoffOptions;
  /** How long `close()` lets running tasks finish before handing them back. @default 30000 */
  closeTimeoutMs?: number;
  /**
   * Checks and types an event's data (a zod schema's `parse` fits). A task whose data it
   * rejects is dead-lettered at once: redelivering it cannot make it valid.
   */
  parse?: (data: unknown) => T;
  /** Called with each {@link WorkerJob.progress} report. Its errors are logged. */
  onProgress?: (job: WorkerJob<T>, value: unknown) => void | Promise<void>;
  /** Called after a processor resolved, before the event is acknowledged. */
  onCompleted?: (job: WorkerJob<T>, result: R) => void | Promise<void>;
  /**
   * Called when a run failed: `final` is true when the task will not be delivered again (last
   * attempt, or an {@link UnrecoverableError}). Not called for cancelled runs.
   */
  onFailed?: (job: WorkerJob<T>, error: unknown, final: boolean) => void | Promise<void>;
  /** @default silentLogger */
  logger?: Logger;
}

/** A worker created by {@link createWorker}. */
export interface Worker {
  /** Subscribes to the topic and starts taking tasks. Idempotent. */
  start(): Promise<void>;
  /**
   * Aborts the run of task `id` if this worker runs it; the task then counts as done (its
   * event is acknowledged, not redelivered). Returns whether a run was aborted.
   */
  cancel(id: string, reason?: string): boolean;
  /** Ids of the tasks running now. */
  running(): readonly string[];
  /**
   * Stops taking tasks and lets running ones finish within `closeTimeoutMs`; those still
   * running then are aborted and handed back to the transport for another worker. Does not
   * close the transport. Idempotent.
   */
  close(): Promise<void>;
}

type StopReason = 'cancelled' | 'handback';

interface Run {
  readonly controller: AbortController;
  stop?: StopReason;
}

/**
 * Runs any kind of task published on `topic`: the generic worker of the toolkit, in the
 * manner of BullMQ's `new Worker(name, processor)`. Tasks are CloudEvents; workers of the same
 * group compete for them; a task is acknowledged only after its processor resolved, so a
 * worker that dies mid-task hands it to another (at least once: make processors idempotent).
 *
 * @example
 * ```ts
 * import { createCloudEvent, createTransport } from '@playtally/transport';
 * import { createWorker } from '@playtally/service';
 *
 * const transport = await createTransport(process.env.TRANSPORT_URL ?? 'memory://');
 * const worker = createWorker<{ text: string }>('texts', async (job) => {
 *   console.log(job.data.text.toUpperCase());
 * }, { transport });
 * await worker.start();
 * await transport.publish('texts', createCloudEvent({ type: 'text', source: '/me', data: { text: 'hi' } }));
 * ```
 */
export function createWorker<T, R = void>(
  topic: string,
  processor: Processor<T, R>,
  options: WorkerOptions<T, R>,
): Worker {
  const { transport } = options;
  const logger = options.logger ?? silentLogger;
  const group = options.group ?? 'workers';
  const maxAttempts = options.maxAttempts ?? 5;
  const closeTimeoutMs = options.closeTimeoutMs ?? 30_000;
  const runs = new Map<string, Run>();
  let subscription: Subscription | undefined;
  let starting: Promise<void> | undefined;
  let closing: Promise<void> | undefined;

  const stop = (id: string, reason: StopReason, message: string): boolean => {
    const run = runs.get(id);
    if (run === undefined || run.controller.signal.aborted) return false;
    run.stop = reason;
    run.controller.abort(new PlaytallyError('ABORTED', message));
    return true;
  };

  const notify = async (what: string, call: () => void | Promise<void>, log: Logger) => {
    try {
      await call();
    } catch (error) {
      log.warn(errorFields(error), `${what} failed`);
    }
  };

  async function handle(event: CloudEvent<unknown>, context: DeliveryContext): Promise<void> {
    const id = event.subject ?? event.id;
    const log = logger.child({ taskId: id, topic });
    if (closing !== undefined)
      throw new PlaytallyError('ABORTED', `worker is closing; task ${id} handed back`);
    let data: T;
    try {
      data = options.parse === undefined ? (event.data as T) : options.parse(event.data);
    } catch (error) {
      log.warn(errorFields(error), 'task data rejected; dead-lettering it');
      throw new UnrecoverableError(`task ${id} has invalid data: ${errorMessage(error)}`, {
        cause: error,
      });
    }
    const run: Run = { controller: new AbortController() };
    if (runs.has(id)) {
      // The same task twice in this process (a redelivery racing its first run): let the
      // first finish; the transport delivers this one again later if it is still needed.
      throw new PlaytallyError('CONFLICT', `task ${id} is already running in this worker`);
    }
    runs.set(id, run);
    const onDeliveryAbort = () => stop(id, 'handback', `task ${id} handed back: worker closing`);
    context.signal.addEventListener('abort', onDeliveryAbort, { once: true });
    const job: WorkerJob<T> = {
      id,
      data,
      event: event as CloudEvent<T>,
      attempt: context.attempt,
      lastAttempt: context.attempt >= maxAttempts,
      signal: run.controller.signal,
      log,
      progress(value) {
        const onProgress = options.onProgress;
        if (onProgress !== undefined)
          void notify('progress report', () => onProgress(job, value), log);
      },
    };
    try {
      const result = await processor(job);
      if (options.onCompleted !== undefined) await options.onCompleted(job, result);
    } catch (error) {
      if (run.stop === 'cancelled') return log.info('task cancelled');
      if (run.stop === 'handback') throw error;
      const final = job.lastAttempt || isUnrecoverableError(error);
      log.warn({ ...errorFields(error), attempt: context.attempt, final }, 'task failed');
      const onFailed = options.onFailed;
      if (onFailed !== undefined)
        await notify('failure handler', () => onFailed(job, error, final), log);
      throw error;
    } finally {
      context.signal.removeEventListener('abort', onDeliveryAbort);
      runs.delete(id);
    }
  }

  return {
    start() {
      starting ??= (async () => {
        subscription = await transport.subscribe(topic, handle, {
          group,
          concurrency: options.concurrency ?? 1,
          maxAttempts,
          ...(options.backoff === undefined ? {} : { backoff: options.backoff }),
        });
        logger.info({ topic, group, transport: transport.name }, 'worker started');
      })();
      return starting;
    },

    cancel: (id, reason = 'cancelled') => stop(id, 'cancelled', `task ${id} ${reason}`),

    running: () => [...runs.keys()],

    close() {
      closing ??= (async () => {
        await starting?.catch(() => {});
        const timer = setTimeout(() => {
          for (const id of runs.keys())
            stop(id, 'handback', `task ${id} handed back: close timeout`);
        }, closeTimeoutMs);
        try {
          await subscription?.close();
        } finally {
          clearTimeout(timer);
        }
        logger.info({ topic }, 'worker closed');
      })();
      return closing;
    },
  };
}
