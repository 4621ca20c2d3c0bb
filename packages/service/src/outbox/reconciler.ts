import { errorFields, type Logger, silentLogger, sleepUnlessAborted } from '@playtally/transport';
import type { StaleJobQuery } from '../domain/job.js';
import { jobRequestedEvent, messageDeliveryEvent } from '../events/outgoing.js';
import { TOPICS, type TopicNames } from '../events/topics.js';
import type { JobStore } from '../ports/job-store.js';
import type { MessageStore } from '../ports/message-store.js';

/** Options of {@link createReconciler}. */
export interface ReconcilerOptions {
  jobs: JobStore;
  messages: MessageStore;
  /** Republish jobs `queued` and messages `received` for longer than this. @default 300000 (5 min) */
  olderThanMs?: number;
  /** Time between passes. @default 60000 */
  intervalMs?: number;
  /** @default TOPICS */
  topics?: TopicNames;
  /** Called after a pass that republished something (the relay's `notify`, metrics). */
  onRepublished?: (counts: ReconcileCounts) => void;
  /** @default silentLogger */
  logger?: Logger;
}

/** What one pass republished. */
export interface ReconcileCounts {
  readonly jobs: number;
  readonly messages: number;
}

/** Options of one {@link Reconciler.runOnce} pass. */
export interface ReconcilePassOptions {
  /** @default the reconciler's `olderThanMs` */
  olderThanMs?: number;
  /**
   * Also republish processing jobs whose lease is still live: only right when no worker can be
   * running (an in-process transport, before the worker starts). @default false
   */
  ignoreLeases?: boolean;
}

/** The reconciler started by {@link createReconciler}. */
export interface Reconciler {
  /** Runs a pass now, then every `intervalMs`. Idempotent. */
  start(): void;
  /** One pass: republishes what is stale, through the outbox, and says how much. */
  runOnce(options?: ReconcilePassOptions): Promise<ReconcileCounts>;
  /** Stops after the pass in progress. Idempotent. */
  close(): Promise<void>;
}

const PAGE = 200;

/**
 * Republishes what the outbox cannot see was lost: a broker that confirmed an event and then
 * dropped it (a Redis restarted without persistence), a worker that died holding a job. Jobs
 * `queued` (or `processing` with an expired lease) and messages `received` longer than
 * `olderThanMs` get their event written to the outbox again, in the same transaction that marks
 * them republished, so several API processes never republish one twice in a window. Consumers
 * are idempotent, so a republished event that was not lost after all is harmless.
 *
 * @example
 * ```ts
 * const reconciler = createReconciler({ jobs, messages, olderThanMs: 300_000 });
 * reconciler.start();
 * ```
 */
export function createReconciler(options: ReconcilerOptions): Reconciler {
  const { jobs, messages } = options;
  const topics = options.topics ?? TOPICS;
  const logger = options.logger ?? silentLogger;
  const olderThanMs = options.olderThanMs ?? 300_000;
  const intervalMs = options.intervalMs ?? 60_000;
  const stopping = new AbortController();
  let loop: Promise<void> | undefined;

  const reconcileJobs = async (query: StaleJobQuery): Promise<number> => {
    let count = 0;
    for (;;) {
      const stale = await jobs.listStale(query, PAGE);
      for (const job of stale) {
        const requeued = await jobs.requeueStale(job.id, query, [jobRequestedEvent(job, topics)]);
        if (requeued === undefined) continue;
        count += 1;
        logger.warn({ jobId: job.id, was: job.status }, 'reconciler: job republished');
      }
      if (stale.length < PAGE || stopping.signal.aborted) return count;
    }
  };

  const reconcileMessages = async (before: string, at: string): Promise<number> => {
    let count = 0;
    for (;;) {
      const stale = await messages.listStale(before, PAGE);
      for (const message of stale) {
        const event = messageDeliveryEvent(message, topics);
        const requeued = await messages.requeueStale(message.id, before, at, [event]);
        if (requeued === undefined) continue;
        count += 1;
        logger.warn({ messageId: message.id }, 'reconciler: message republished');
      }
      if (stale.length < PAGE || stopping.signal.aborted) return count;
    }
  };

  const runOnce = async (pass: ReconcilePassOptions = {}): Promise<ReconcileCounts> => {
    const now = Date.now();
    // Nothing newer than the oldest event still in the outbox is republished: its own event may
    // simply not be published yet (the broker is away), and a copy would only pile up behind it.
    const outboxes = new Set([jobs.outbox, messages.outbox]);
    const oldest = await Promise.all([...outboxes].map((outbox) => outbox.oldestPending()));
    const waiting = oldest.filter((at) => at !== null).sort()[0] ?? null;
    const aged = new Date(now - (pass.olderThanMs ?? olderThanMs)).toISOString();
    const before = waiting !== null && waiting < aged ? waiting : aged;
    const leaseExpiredBefore = pass.ignoreLeases
      ? '9999-12-31T23:59:59.999Z'
      : new Date(now).toISOString();
    const counts = {
      jobs: await reconcileJobs({ updatedBefore: before, leaseExpiredBefore }),
      messages: await reconcileMessages(before, new Date(now).toISOString()),
    };
    if (counts.jobs + counts.messages > 0) {
      logger.warn(counts, 'reconciler: republished stale work');
      options.onRepublished?.(counts);
    }
    return counts;
  };

  return {
    start() {
      loop ??= (async () => {
        while (!stopping.signal.aborted) {
          await runOnce().catch((error: unknown) =>
            logger.warn(errorFields(error), 'reconciler: pass failed; will retry'),
          );
          await sleepUnlessAborted(intervalMs, stopping.signal);
        }
      })();
    },
    runOnce,
    async close() {
      stopping.abort();
      await loop;
    },
  };
}
