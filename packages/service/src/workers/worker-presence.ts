import { randomUUID } from 'node:crypto';
import { hostname } from 'node:os';
import { errorFields, type Logger, silentLogger, type Transport } from '@playtally/transport';
import { TOPICS, type TopicNames } from '../events/topics.js';
import {
  createWorkerEvent,
  type RunCounts,
  WORKER_EVENT_TYPES,
  type WorkerEventType,
  type WorkerStatus,
} from './worker-status.js';

/** What a worker process reports at each announcement, read fresh every time. */
export interface WorkerActivity {
  readonly activeJobs: readonly string[];
  readonly jobs: RunCounts;
  readonly messages: RunCounts;
}

/** Options of {@link createWorkerPresence}. */
export interface WorkerPresenceOptions {
  transport: Transport;
  /** Reads what the worker does now (e.g. from `JobWorker.stats()` and `MessageConsumer.stats()`). */
  activity: () => WorkerActivity;
  /** Jobs the worker runs at once at most. */
  concurrency: number;
  /** The program's version. @default '0.0.0' */
  version?: string;
  /** Time between heartbeats. @default 5000 */
  heartbeatMs?: number;
  /** @default TOPICS */
  topics?: TopicNames;
  /** @default `<host>:<pid>:<random>` */
  id?: string;
  /** @default silentLogger */
  logger?: Logger;
}

/** A worker process's presence on the events topic. */
export interface WorkerPresence {
  /** This process's worker id. */
  readonly id: string;
  /** Announces `worker.started` and starts the heartbeats. Idempotent. */
  start(): Promise<void>;
  /** The status the next announcement would carry. */
  status(): WorkerStatus;
  /** Stops the heartbeats and announces `worker.stopped`. Idempotent. */
  close(): Promise<void>;
}

/**
 * Makes a worker process visible to every API instance: `worker.started` at start, a
 * `worker.heartbeat` every `heartbeatMs`, `worker.stopped` on a clean shutdown, each carrying a
 * {@link WorkerStatus}. A process that dies without a goodbye simply stops beating; the API's
 * registry shows it as lost after three missed heartbeats. Announcements are best effort: one
 * that cannot be published is logged and the next one tries again.
 *
 * @example
 * ```ts
 * const presence = createWorkerPresence({
 *   transport,
 *   concurrency: 2,
 *   activity: () => ({ activeJobs: worker.running(), jobs: worker.stats(), messages: consumer.stats() }),
 * });
 * await presence.start();
 * ```
 */
export function createWorkerPresence(options: WorkerPresenceOptions): WorkerPresence {
  const { transport } = options;
  const topics = options.topics ?? TOPICS;
  const logger = options.logger ?? silentLogger;
  const heartbeatMs = options.heartbeatMs ?? 5000;
  if (!Number.isFinite(heartbeatMs) || heartbeatMs <= 0) {
    throw new RangeError(
      `heartbeatMs must be a positive number of milliseconds, got ${heartbeatMs}`,
    );
  }
  const host = hostname();
  const id = options.id ?? `${host}:${process.pid}:${randomUUID().slice(0, 8)}`;
  const startedAt = new Date().toISOString();
  let timer: NodeJS.Timeout | undefined;
  let starting: Promise<void> | undefined;
  let closing: Promise<void> | undefined;

  const status = (): WorkerStatus => {
    const activity = options.activity();
    return {
      id,
      host,
      pid: process.pid,
      version: options.version ?? '0.0.0',
      transport: transport.name,
      concurrency: options.concurrency,
      activeJobs: [...activity.activeJobs],
      jobs: { processed: activity.jobs.processed, failed: activity.jobs.failed },
      messages: { processed: activity.messages.processed, failed: activity.messages.failed },
      heartbeatMs,
      startedAt,
      sentAt: new Date().toISOString(),
    };
  };

  const announce = async (type: WorkerEventType): Promise<void> => {
    try {
      await transport.publish(topics.events, createWorkerEvent(type, status()));
    } catch (error) {
      logger.warn({ ...errorFields(error), type }, 'could not announce the worker');
    }
  };

  return {
    id,
    status,
    start() {
      starting ??= (async () => {
        await announce(WORKER_EVENT_TYPES.started);
        if (closing !== undefined) return;
        timer = setInterval(() => void announce(WORKER_EVENT_TYPES.heartbeat), heartbeatMs);
        timer.unref();
        logger.info({ workerId: id, heartbeatMs }, 'worker announced');
      })();
      return starting;
    },
    close() {
      closing ??= (async () => {
        await starting?.catch(() => {});
        clearInterval(timer);
        if (starting !== undefined) await announce(WORKER_EVENT_TYPES.stopped);
      })();
      return closing;
    },
  };
}
