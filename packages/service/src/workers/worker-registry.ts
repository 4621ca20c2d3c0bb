import type { CloudEvent } from '@playtally/transport';
import type { EventHub } from '../events/event-hub.js';
import { isWorkerEvent, WORKER_EVENT_TYPES, type WorkerStatus } from './worker-status.js';

/** Heartbeats a worker may miss before it counts as lost. */
export const MISSED_HEARTBEATS_BEFORE_LOST = 3;

/** A worker as the registry shows it. */
export interface WorkerView extends WorkerStatus {
  /** `alive` while its heartbeats arrive; `lost` after three missed ones. */
  readonly status: 'alive' | 'lost';
  /** When its last announcement arrived here (ISO 8601). */
  readonly lastSeenAt: string;
  /** The jobs it was running when last heard of, if it is lost; otherwise empty. */
  readonly jobsAtRisk: readonly string[];
}

/** Options of {@link createWorkerRegistry}. */
export interface WorkerRegistryOptions {
  /** @default () => Date.now() */
  now?: () => number;
  /** A lost worker is forgotten after this long without news. @default 3600000 (1 hour) */
  forgetAfterMs?: number;
}

/** One API instance's live view of the worker processes, fed by their `worker.*` events. */
export interface WorkerRegistry {
  /** Feeds one event of the events topic (others than `worker.*` are ignored). */
  record(event: CloudEvent): void;
  /** Follows a hub's events; returns a function that stops following. */
  follow(hub: EventHub): () => void;
  /** The workers known now, alive first, then by id. */
  list(): readonly WorkerView[];
}

interface Entry {
  readonly status: WorkerStatus;
  readonly seenAt: number;
}

/**
 * Creates a {@link WorkerRegistry}. A worker appears with its first `worker.started` or
 * `worker.heartbeat`, is updated by each heartbeat, leaves on `worker.stopped`, and is shown
 * `lost` once `3 × heartbeatMs` (its own interval) passed without news: a process that was
 * killed or cut off, whose running jobs are at risk until another worker takes them over.
 */
export function createWorkerRegistry(options: WorkerRegistryOptions = {}): WorkerRegistry {
  const now = options.now ?? (() => Date.now());
  const forgetAfterMs = options.forgetAfterMs ?? 3_600_000;
  const entries = new Map<string, Entry>();
  // A goodbye may overtake the last heartbeat: remember who left so a late beat does not revive it.
  const stopped = new Map<string, number>();

  const record = (event: CloudEvent): void => {
    if (!isWorkerEvent(event)) return;
    const { worker } = event.data;
    const at = now();
    if (event.type === WORKER_EVENT_TYPES.stopped) {
      entries.delete(worker.id);
      stopped.set(worker.id, at);
      return;
    }
    if (stopped.has(worker.id)) return;
    const known = entries.get(worker.id);
    // Out-of-order delivery: keep the newest announcement.
    if (known !== undefined && known.status.sentAt > worker.sentAt) return;
    entries.set(worker.id, { status: worker, seenAt: at });
  };

  const prune = (at: number): void => {
    for (const [id, entry] of entries) {
      if (at - entry.seenAt > forgetAfterMs) entries.delete(id);
    }
    for (const [id, leftAt] of stopped) {
      if (at - leftAt > forgetAfterMs) stopped.delete(id);
    }
  };

  return {
    record,
    follow: (hub) => hub.onEvent(record),
    list() {
      const at = now();
      prune(at);
      const views = [...entries.values()].map(({ status, seenAt }): WorkerView => {
        const lost = at - seenAt > MISSED_HEARTBEATS_BEFORE_LOST * status.heartbeatMs;
        return {
          ...status,
          status: lost ? 'lost' : 'alive',
          lastSeenAt: new Date(seenAt).toISOString(),
          jobsAtRisk: lost ? status.activeJobs : [],
        };
      });
      return views.sort(
        (a, b) =>
          (a.status === b.status ? 0 : a.status === 'alive' ? -1 : 1) ||
          (a.id < b.id ? -1 : a.id > b.id ? 1 : 0),
      );
    },
  };
}
