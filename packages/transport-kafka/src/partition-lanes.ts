import {
  deadLetterTopic,
  type EncodedCloudEvent,
  type EventHandler,
  processDelivery,
  type ResolvedSubscribeOptions,
  sleepUnlessAborted,
} from '@playtally/transport';
import type { EachBatchPayload, KafkaMessage } from 'kafkajs';
import { type ConcurrencyLimit, createConcurrencyLimit } from './concurrency-limit.js';
import { fromKafkaMessage, messageKey } from './headers-codec.js';

/** What the lanes need from their subscription. */
export interface PartitionLanesDeps {
  readonly topic: string;
  readonly options: ResolvedSubscribeOptions;
  readonly handler: EventHandler<never>;
  /** Aborted when closing begins: no new message starts, retries waiting for backoff give up. */
  readonly stopping: AbortSignal;
  /**
   * Aborted when the close timeout has run out: handlers should stop (a handler that throws
   * leaves its message uncommitted; one that ignores the signal is abandoned, also uncommitted).
   */
  readonly handlerSignal: AbortSignal;
  /** Publishes a dead letter (creating the dead-letter topic when needed). */
  readonly publishDeadLetter: (
    topic: string,
    deadLetter: EncodedCloudEvent,
    key: string | undefined,
  ) => Promise<void>;
}

const NOT_DELIVERED = Promise.resolve(false);

/**
 * Handled offsets are passed on to kafkajs (`resolveOffset`, which parses and formats a 64-bit
 * offset each time) every this many messages and at the end of a batch, not after each one; a
 * commit in between (closing) first catches up with what was handled.
 */
const RESOLVE_EVERY = 64;

/**
 * How long `eachBatch` waits for a batch's lane before detaching it and pausing its partition:
 * long enough that batches of fast handlers never pay a paused partition's extra fetch wait,
 * short enough that a slow handler holds up other partitions' fetches only briefly.
 */
const DETACH_AFTER_MS = 200;

/** The consuming side of a subscription, driven by kafkajs. */
export interface PartitionLanes {
  /**
   * The `eachBatch` callback: queues the batch on its partition's lane and returns when it is
   * done, or after `DETACH_AFTER_MS` with the partition paused.
   */
  readonly eachBatch: (payload: EachBatchPayload) => Promise<void>;
  /**
   * Called on every group join: the assignment may have changed, so the lanes abandon queued
   * work of the previous generation (kafkajs fetches it again from the committed offsets).
   */
  readonly onGroupJoin: () => void;
  /** Commits what this generation has handled; used by close before leaving the group. */
  readonly commitHandled: () => Promise<void>;
  /** Resolves once every lane has stopped (after `stopping` aborted) or run out of work. */
  readonly idle: () => Promise<void>;
}

/**
 * One lane per partition. Within a batch, up to `concurrency` workers take messages in offset
 * order (handlers stay bounded by `concurrency` across all partitions), and a message waits for
 * the previous message of its key, so events of one key are handled in order at any concurrency
 * (and everything in offset order at concurrency 1). A partition's next batch starts once its
 * previous batch is done. A batch still running after `DETACH_AFTER_MS` is detached: its
 * partition is paused while the lane works through it, so kafkajs keeps fetching (and
 * heartbeating) for the other partitions instead of waiting for the slowest handler, and resumed
 * once it is done. (Fast batches are awaited, as kafkajs expects: pausing and resuming costs a
 * fetch wait.)
 *
 * An offset is resolved (and so committed) only when it and every offset before it in the
 * batch were handled: the handler succeeded or the dead letter was written. A failing handler is
 * retried in place after a backoff, up to `maxAttempts`, holding back only its key (and the
 * commit point). After a rebalance, work of the old generation is dropped unresolved (at least
 * once: it is fetched again), and a lane waits for its partition's previous batch to finish
 * first, so one key's events never run concurrently.
 */
export function createPartitionLanes(deps: PartitionLanesDeps): PartitionLanes {
  const limit = createConcurrencyLimit(deps.options.concurrency);
  const tails = new Map<number, Promise<void>>();
  let generation = 0;
  let commit: (() => Promise<void>) | undefined;
  /** Each running batch's catch-up: resolves the offsets it handled but has not reported yet. */
  const reportHandled = new Set<() => void>();

  /**
   * Handles a batch with up to `concurrency` messages in flight, started in offset order; a
   * message whose key is still being handled waits for it. The offset resolved is always the end
   * of the longest run of handled messages from the batch's start, so nothing unhandled is ever
   * committed. Resolves `true` when the whole batch was handled.
   *
   * After starting each message the loop yields once, so deliveries that settle at once (fast
   * handlers) finish before the next starts: the window only widens for handlers that actually
   * wait. Starting a whole window of fast handlers at once would keep hundreds of decoded
   * events alive together, and the young-generation collector pays for every one of them.
   */
  const runBatch = async (
    messages: readonly KafkaMessage[],
    ofGeneration: number,
    resolve: (offset: string) => void,
  ): Promise<boolean> => {
    const count = messages.length;
    const window = deps.options.concurrency;
    const handled = new Uint8Array(count);
    const byKey = new Map<string, Promise<boolean>>();
    let resolved = 0;
    let reported = 0;
    let stopped = false;
    let inFlight = 0;
    const report = (): void => {
      if (reported === resolved) return;
      reported = resolved;
      resolve((messages[resolved - 1] as KafkaMessage).offset);
    };
    reportHandled.add(report);
    let wake: (() => void) | undefined;
    const settle = (index: number, ok: boolean): void => {
      inFlight -= 1;
      // Handled while closing still counts (close commits it); not after a rebalance.
      if (!ok || ofGeneration !== generation) stopped = true;
      else {
        handled[index] = 1;
        if (index === resolved) {
          while (resolved < count && handled[resolved] === 1) resolved += 1;
          if (resolved === count || resolved - reported >= RESOLVE_EVERY) report();
        }
      }
      const waiting = wake;
      wake = undefined;
      waiting?.();
    };
    const slotFreed = () =>
      new Promise<void>((resume) => {
        wake = resume;
      });
    for (let index = 0; index < count && !stopped; index++) {
      while (inFlight >= window) await slotFreed();
      if (stopped) break;
      const message = messages[index] as KafkaMessage;
      const key = messageKey(message);
      const previousOfKey = key === undefined ? undefined : byKey.get(key);
      const done =
        previousOfKey === undefined
          ? deliverCurrent(message, key, ofGeneration)
          : previousOfKey.then((ok) => ok && deliverCurrent(message, key, ofGeneration));
      if (key !== undefined) byKey.set(key, done);
      inFlight += 1;
      done.then(
        (ok) => settle(index, ok),
        () => settle(index, false),
      );
      await undefined;
    }
    while (inFlight > 0) await slotFreed();
    reportHandled.delete(report);
    // After a rebalance nothing more is reported: the new owner starts from the last commit.
    if (ofGeneration === generation) report();
    return resolved === count;
  };

  /** Delivers a message unless the subscription stopped or the assignment changed. */
  const deliverCurrent = (
    message: KafkaMessage,
    key: string | undefined,
    ofGeneration: number,
  ): Promise<boolean> => {
    if (deps.stopping.aborted || ofGeneration !== generation) return NOT_DELIVERED;
    return deliver(deps, message, key, limit);
  };

  return {
    async eachBatch({ batch, pause, resolveOffset, commitOffsetsIfNecessary, uncommittedOffsets }) {
      if (deps.stopping.aborted) {
        pause();
        return;
      }
      const ofGeneration = generation;
      const commitAll = () => commitOffsetsIfNecessary(uncommittedOffsets());
      commit = commitAll;
      let done = false;
      let resume: (() => void) | undefined;
      const previous = tails.get(batch.partition) ?? Promise.resolve();
      const lane = previous.then(async () => {
        const completed = await runBatch(batch.messages, ofGeneration, resolveOffset).finally(
          () => {
            done = true;
          },
        );
        if (resume === undefined || ofGeneration !== generation || deps.stopping.aborted) return;
        resume();
        // Detached lanes commit themselves (kafkajs commits only when a batch returns), without
        // making the partition's next batch wait for the broker's answer.
        if (completed) void commitAll().catch(() => undefined);
      });
      tails.set(
        batch.partition,
        lane.catch(() => undefined),
      );
      // Fast batches finish here and kafkajs commits them as usual. A slow one is detached: its
      // partition is paused (so it is not fetched again meanwhile) and resumed when it is done.
      let timer: NodeJS.Timeout | undefined;
      await Promise.race([
        lane.catch(() => undefined),
        new Promise((resolve) => {
          timer = setTimeout(resolve, DETACH_AFTER_MS);
        }),
      ]);
      clearTimeout(timer);
      if (!done) resume = pause();
    },
    onGroupJoin() {
      generation += 1;
      reportHandled.clear();
      commit = undefined;
    },
    async commitHandled() {
      for (const report of reportHandled) report();
      await commit?.().catch(() => undefined);
    },
    async idle() {
      await Promise.all(tails.values());
    },
  };
}

type Outcome = Awaited<ReturnType<typeof processDelivery>>;

const deliveryInput = (
  deps: PartitionLanesDeps,
  message: EncodedCloudEvent,
  key: string | undefined,
  attempt: number,
) => ({
  topic: deps.topic,
  key,
  attempt,
  message,
  options: deps.options,
  signal: deps.handlerSignal,
  handler: deps.handler,
});

/** One message on its way through the attempts (built only off the fast path). */
interface Delivery {
  readonly deps: PartitionLanesDeps;
  readonly encoded: EncodedCloudEvent;
  readonly key: string | undefined;
  readonly limit: ConcurrencyLimit;
}

/**
 * Runs the handler until the message is acknowledged or dead-lettered (`true`), or until the
 * subscription stops first (`false`: leave it uncommitted). The first attempt with a free slot,
 * by far the most common case, takes no async frame of its own: this runs once per message.
 */
function deliver(
  deps: PartitionLanesDeps,
  message: KafkaMessage,
  key: string | undefined,
  limit: ConcurrencyLimit,
): Promise<boolean> {
  const encoded = fromKafkaMessage(message);
  if (!limit.tryAcquire()) return deliverFrom({ deps, encoded, key, limit }, 1);
  return processDelivery(deliveryInput(deps, encoded, key, 1)).then(
    (outcome) => {
      limit.release();
      return outcome.kind === 'ack' || afterFailure({ deps, encoded, key, limit }, outcome, 1);
    },
    (error: unknown) => {
      limit.release();
      throw error;
    },
  );
}

/** Attempts from `attempt` on, each waiting for a free slot first. */
async function deliverFrom(delivery: Delivery, attempt: number): Promise<boolean> {
  const { deps, encoded, key, limit } = delivery;
  if (!limit.tryAcquire()) await limit.acquire();
  let outcome: Outcome;
  try {
    // Closing: a message still waiting for a slot is not in flight, so it is left uncommitted.
    if (deps.stopping.aborted) return false;
    outcome = await processDelivery(deliveryInput(deps, encoded, key, attempt));
  } finally {
    limit.release();
  }
  return outcome.kind === 'ack' || afterFailure(delivery, outcome, attempt);
}

/** A failed attempt: dead-letter it, or wait out the backoff and try again. */
async function afterFailure(
  delivery: Delivery,
  outcome: Exclude<Outcome, { kind: 'ack' }>,
  attempt: number,
): Promise<boolean> {
  const { deps, key } = delivery;
  if (outcome.kind === 'dead-letter') return writeDeadLetter(deps, outcome.deadLetter, key);
  if (!(await sleepUnlessAborted(outcome.delayMs, deps.stopping))) return false;
  return deliverFrom(delivery, attempt + 1);
}

/** Publishes the dead letter, retrying while the broker is away, unless the subscription stops. */
async function writeDeadLetter(
  deps: PartitionLanesDeps,
  deadLetter: EncodedCloudEvent,
  key: string | undefined,
) {
  for (let attempt = 1; ; attempt++) {
    try {
      await deps.publishDeadLetter(deadLetterTopic(deps.topic), deadLetter, key);
      return true;
    } catch {
      const delay = Math.min(
        deps.options.backoff.maxMs,
        deps.options.backoff.initialMs * 2 ** attempt,
      );
      if (!(await sleepUnlessAborted(Math.max(delay, 100), deps.stopping))) return false;
    }
  }
}
