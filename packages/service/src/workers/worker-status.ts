import { type CloudEvent, createCloudEvent } from '@playtally/transport';
import { WORKER_SOURCE } from '../events/topics.js';

/** Counts of runs a worker finished, and of those that failed. */
export interface RunCounts {
  /** Runs finished, whatever their outcome. */
  readonly processed: number;
  /** Runs that ended in failure (a failed job, a handler that threw). */
  readonly failed: number;
}

/** What a worker process says about itself in every `worker.*` event. */
export interface WorkerStatus {
  /** Unique per process run: `<host>:<pid>:<random>`. */
  readonly id: string;
  readonly host: string;
  readonly pid: number;
  /** The version of the program the worker runs. */
  readonly version: string;
  /** The transport's name: `memory`, `amqp`, `kafka`, `redis`. */
  readonly transport: string;
  /** Jobs it runs at once at most. */
  readonly concurrency: number;
  /** Ids of the jobs it runs now. */
  readonly activeJobs: readonly string[];
  readonly jobs: RunCounts;
  readonly messages: RunCounts;
  /** How often it sends a heartbeat; three missed ones and it counts as lost. */
  readonly heartbeatMs: number;
  /** When the process started (ISO 8601). */
  readonly startedAt: string;
  /** When this announcement was sent (ISO 8601). */
  readonly sentAt: string;
}

/** What every `worker.*` event of the events topic carries. */
export interface WorkerEventData {
  readonly worker: WorkerStatus;
}

/** The `worker.*` event types of the events topic. */
export const WORKER_EVENT_TYPES = {
  /** A worker process started. */
  started: 'worker.started',
  /** A worker process is alive (every `heartbeatMs`). */
  heartbeat: 'worker.heartbeat',
  /** A worker process is shutting down cleanly. */
  stopped: 'worker.stopped',
} as const;

/** The `type` of a `worker.*` event. */
export type WorkerEventType = (typeof WORKER_EVENT_TYPES)[keyof typeof WORKER_EVENT_TYPES];

/** A `worker.*` event for the events topic; its subject is the worker id. */
export function createWorkerEvent(
  type: WorkerEventType,
  worker: WorkerStatus,
): CloudEvent<WorkerEventData> {
  return createCloudEvent({ type, source: WORKER_SOURCE, subject: worker.id, data: { worker } });
}

const WORKER_TYPES = new Set<string>(Object.values(WORKER_EVENT_TYPES));

/**
 * True when `event` is a well-formed `worker.*` event: a foreign or malformed one on the events
 * topic is ignored rather than shown.
 */
export function isWorkerEvent(event: CloudEvent): event is CloudEvent<WorkerEventData> {
  if (!WORKER_TYPES.has(event.type)) return false;
  const worker = (event.data as { worker?: Partial<WorkerStatus> } | null | undefined)?.worker;
  return (
    typeof worker === 'object' &&
    worker !== null &&
    typeof worker.id === 'string' &&
    worker.id.length > 0 &&
    typeof worker.heartbeatMs === 'number' &&
    worker.heartbeatMs > 0 &&
    Array.isArray(worker.activeJobs) &&
    typeof worker.jobs === 'object' &&
    typeof worker.messages === 'object'
  );
}
