import { PlaytallyError } from '@playtally/core';
import {
  backoffDelay,
  errorFields,
  type Logger,
  silentLogger,
  sleepUnlessAborted,
  type Transport,
} from '@playtally/transport';
import { v7 as uuidv7 } from 'uuid';
import type { OutboxEntry, OutgoingEvent } from '../domain/outbox.js';
import type { OutboxStore } from '../ports/outbox-store.js';

/** Options of {@link createOutboxRelay}. */
export interface OutboxRelayOptions {
  outbox: OutboxStore;
  transport: Transport;
  /** Entries claimed and published per round. @default 200 */
  batchSize?: number;
  /** How long a claim hides entries from other relays; longer than a publish can take. @default 60000 */
  leaseMs?: number;
  /** How often to look for entries written by other processes, and recount the backlog. @default 500 */
  pollIntervalMs?: number;
  /** Past this many pending entries, {@link OutboxRelay.assertAccepting} refuses new work. @default 10000 */
  maxBacklog?: number;
  /** Called with the number of entries published in each round. */
  onPublished?: (count: number) => void;
  /** @default silentLogger */
  logger?: Logger;
}

/** A running relay from the outbox to the transport. */
export interface OutboxRelay {
  /** Starts the relay loop. Idempotent. */
  start(): void;
  /** Tells the relay that entries were just committed, so it publishes them now. */
  notify(): void;
  /**
   * Names `events` and marks them claimed by this relay for its lease, before the writer
   * commits them: hand the result to the store, then to {@link published} once committed. The
   * relay publishes them straight from memory, without claiming them from the store; should
   * this process die first, another relay claims them once the lease ends.
   */
  claimAhead(events: readonly OutgoingEvent[]): OutgoingEvent[];
  /** Publishes events of {@link claimAhead} that were committed (batched with others). */
  publish(events: readonly OutgoingEvent[]): void;
  /** The pending entries counted last (refreshed every poll interval). */
  backlog(): number;
  /** Counts the pending entries now, and returns the count. */
  refreshBacklog(): Promise<number>;
  /**
   * Throws `BACKLOG_FULL` (503, with a retry delay) while the backlog is at its limit: the
   * broker is not keeping up or is away, and the outbox must not grow without bound.
   */
  assertAccepting(): void;
  /** Resolves once every entry pending now has been published (tests, shutdown). */
  drain(timeoutMs?: number): Promise<void>;
  /** Stops the loop after the round in progress. Pending entries stay for the next start. */
  close(): Promise<void>;
}

/**
 * Publishes what the stores committed to the outbox: claims the oldest entries (hidden from
 * other relays for `leaseMs`), publishes them with broker confirms, all of a round at once in
 * claim order, removes the published ones and makes failed ones available again after a
 * backoff. After a failed round the relay itself backs off (up to 5 s), so an absent broker is
 * retried steadily rather than hammered. Every API process runs one; several relays share the
 * work. An entry is published at least once.
 *
 * @example
 * ```ts
 * const relay = createOutboxRelay({ outbox: stores.jobs.outbox, transport });
 * relay.start();
 * ```
 */
export function createOutboxRelay(options: OutboxRelayOptions): OutboxRelay {
  const { outbox, transport } = options;
  const logger = options.logger ?? silentLogger;
  const batchSize = options.batchSize ?? 200;
  const leaseMs = options.leaseMs ?? 60_000;
  const pollIntervalMs = options.pollIntervalMs ?? 500;
  const maxBacklog = options.maxBacklog ?? 10_000;
  const stopping = new AbortController();
  let wake: (() => void) | undefined;
  let woken = false;
  let pending = 0;
  let countedAt = 0;
  let failedRounds = 0;
  let loop: Promise<void> | undefined;
  const drained = new Set<() => void>();
  /** Committed events of this process, claimed ahead, waiting for the next flush. */
  let handed: OutboxEntry[] = [];
  let flushing: Promise<void> | undefined;
  let flushScheduled = false;

  const idle = async (ms: number): Promise<void> => {
    if (woken) {
      woken = false;
      return;
    }
    await new Promise<void>((resolve) => {
      const timer = setTimeout(done, ms);
      function done() {
        clearTimeout(timer);
        stopping.signal.removeEventListener('abort', done);
        wake = undefined;
        resolve();
      }
      wake = done;
      stopping.signal.addEventListener('abort', done, { once: true });
    });
    woken = false;
  };

  const recount = async (force: boolean): Promise<void> => {
    if (!force && Date.now() - countedAt < pollIntervalMs) return;
    pending = await outbox.pending();
    countedAt = Date.now();
    if (pending === 0) for (const resolve of drained) resolve();
  };

  const publishRound = async (entries: readonly OutboxEntry[]): Promise<boolean> => {
    // Called in claim order without waiting in between: the transport sends them in that order.
    const results = await Promise.allSettled(
      entries.map((entry) =>
        transport.publish(
          entry.topic,
          entry.event,
          entry.key === undefined ? {} : { key: entry.key },
        ),
      ),
    );
    const sent: string[] = [];
    const failed: OutboxEntry[] = [];
    let firstError: unknown;
    results.forEach((result, index) => {
      const entry = entries[index]!;
      if (result.status === 'fulfilled') sent.push(entry.id);
      else {
        failed.push(entry);
        firstError ??= result.reason;
      }
    });
    if (sent.length > 0) {
      await outbox.complete(sent);
      options.onPublished?.(sent.length);
    }
    if (failed.length > 0) {
      const attempts = Math.max(...failed.map((entry) => entry.attempts));
      const delay = backoffDelay(attempts, { initialMs: 500, maxMs: 30_000 });
      await outbox.retry(
        failed.map((entry) => entry.id),
        delay,
      );
      logger.warn(
        { ...errorFields(firstError), failed: failed.length, sent: sent.length, retryInMs: delay },
        'outbox: publish failed; will retry',
      );
    }
    return failed.length === 0;
  };

  const flush = async (): Promise<void> => {
    flushScheduled = false;
    const entries = handed;
    handed = [];
    if (entries.length === 0) return;
    try {
      await publishRound(entries);
    } catch (error) {
      // Left claimed in the store: the loop (here or elsewhere) takes them once the lease ends.
      logger.warn(errorFields(error), 'outbox: publishing committed events failed; will retry');
    }
  };

  const scheduleFlush = (): void => {
    if (flushScheduled || stopping.signal.aborted) return;
    flushScheduled = true;
    // Everything committed in this turn of the event loop goes in one round: one publish batch
    // and one delete, however many requests committed.
    setImmediate(() => {
      const previous = flushing ?? Promise.resolve();
      flushing = previous.then(flush).finally(() => {
        if (handed.length === 0) flushing = undefined;
      });
    });
  };

  const run = async (): Promise<void> => {
    while (!stopping.signal.aborted) {
      let claimed: readonly OutboxEntry[] = [];
      let ok = true;
      try {
        claimed = await outbox.claim({ limit: batchSize, leaseMs });
        if (claimed.length > 0) ok = await publishRound(claimed);
        await recount(claimed.length === 0);
      } catch (error) {
        ok = false;
        logger.warn(errorFields(error), 'outbox: relay round failed; will retry');
      }
      failedRounds = ok ? 0 : failedRounds + 1;
      if (failedRounds > 0) {
        await sleepUnlessAborted(
          backoffDelay(failedRounds, { initialMs: 250, maxMs: 5000 }),
          stopping.signal,
        );
      } else if (claimed.length < batchSize) {
        await idle(pollIntervalMs);
      }
    }
  };

  return {
    start() {
      loop ??= run();
    },
    notify() {
      woken = true;
      wake?.();
    },
    claimAhead(events) {
      const claimedUntil = Date.now() + leaseMs;
      return events.map((event) => ({ ...event, entryId: uuidv7(), claimedUntil }));
    },
    publish(events) {
      const createdAt = new Date().toISOString();
      for (const event of events) {
        if (event.entryId === undefined) continue;
        handed.push({
          id: event.entryId,
          topic: event.topic,
          event: event.event,
          ...(event.key === undefined ? {} : { key: event.key }),
          attempts: 1,
          createdAt,
        });
      }
      scheduleFlush();
    },
    backlog: () => pending,
    async refreshBacklog() {
      await recount(true);
      return pending;
    },
    assertAccepting() {
      if (pending < maxBacklog) return;
      throw new PlaytallyError(
        'BACKLOG_FULL',
        `${pending} events are waiting for the broker (limit ${maxBacklog}); retry later`,
        { details: { component: 'broker', backlog: pending, retryAfterSeconds: 5 } },
      );
    },
    drain(timeoutMs = 30_000) {
      return new Promise<void>((resolve, reject) => {
        const timer = setTimeout(() => {
          drained.delete(done);
          reject(new PlaytallyError('ABORTED', `outbox not drained within ${timeoutMs} ms`));
        }, timeoutMs);
        function done() {
          clearTimeout(timer);
          drained.delete(done);
          resolve();
        }
        drained.add(done);
        countedAt = 0;
        woken = true;
        wake?.();
      });
    },
    async close() {
      stopping.abort();
      await loop;
      await flushing;
      // Not published yet: let the next relay take them at once rather than after the lease.
      const left = handed.map((entry) => entry.id);
      handed = [];
      if (left.length > 0) await outbox.retry(left, 0).catch(() => {});
    },
  };
}
