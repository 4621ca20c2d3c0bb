import { randomUUID } from 'node:crypto';
import {
  type EncodedCloudEvent,
  type EventHandler,
  PlaytallyError,
  type ResolvedSubscribeOptions,
  type Subscription,
} from '@playtally/transport';
import type { Consumer, Kafka } from 'kafkajs';
import type { ResolvedKafkaOptions } from './options.js';
import { createPartitionLanes } from './partition-lanes.js';
import { kafkaGroupId, type TopicAdmin, transportError } from './topic-admin.js';

/** What a subscription borrows from its transport. */
export interface KafkaSubscriptionDeps {
  readonly kafka: Kafka;
  readonly admin: TopicAdmin;
  readonly options: ResolvedKafkaOptions;
  readonly publishDeadLetter: (
    topic: string,
    deadLetter: EncodedCloudEvent,
    key: string | undefined,
  ) => Promise<void>;
  /** Called once the subscription has closed, so the transport forgets it. */
  readonly onClosed: () => void;
}

/** A subscription being started: close it at any time, even before `start` settles. */
export interface StartingSubscription {
  readonly subscription: Subscription;
  /** Resolves once the consumer has joined its group (and so is assigned its partitions). */
  start(): Promise<void>;
}

/** How long close waits, once handlers were told to stop, before leaving them behind. */
const ABORT_GRACE_MS = 1_000;

const delay = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms).unref());

/** Pause before rebuilding a consumer that kafkajs gave up on. */
const RELAUNCH_DELAY_MS = 1_000;

/**
 * One kafkajs consumer for one `subscribe()` call. A named group is the Kafka consumer group
 * `<topic>:<group>` (see {@link kafkaGroupId}); it starts from the earliest retained offset when
 * it has no committed offset yet (so events published between `ensure()` or `subscribe()` and
 * the first fetch are kept for it). An
 * ephemeral subscription gets a throwaway group positioned at the topic's end offsets as they
 * were before it joined (so it sees exactly what is published after `subscribe()` resolves), and
 * the group is deleted on close.
 *
 * When kafkajs gives up on a consumer without restarting it (a non-retriable error), the
 * subscription builds a new one, so it survives broker restarts of any length.
 */
export function createKafkaSubscription(
  topic: string,
  handler: EventHandler<never>,
  subscribeOptions: ResolvedSubscribeOptions,
  deps: KafkaSubscriptionDeps,
): StartingSubscription {
  const { kafka, admin, options } = deps;
  const ephemeral = subscribeOptions.group === undefined;
  const groupId = kafkaGroupId(
    topic,
    subscribeOptions.group ?? `${options.clientId}-ephemeral-${randomUUID()}`,
  );
  const stopping = new AbortController();
  const handlerAbort = new AbortController();
  let consumer: Consumer | undefined;
  let relaunchTimer: NodeJS.Timeout | undefined;
  let startOffsets: Array<{ partition: number; offset: string }> | undefined;
  let closing: Promise<void> | undefined;

  const lanes = createPartitionLanes({
    topic,
    options: subscribeOptions,
    handler,
    stopping: stopping.signal,
    handlerSignal: handlerAbort.signal,
    publishDeadLetter: deps.publishDeadLetter,
  });

  /** Creates, connects and runs a consumer; resolves on its first group join. */
  const launch = async (): Promise<void> => {
    const current = kafka.consumer({
      groupId,
      sessionTimeout: options.sessionTimeoutMs,
      heartbeatInterval: options.heartbeatIntervalMs,
      rebalanceTimeout: options.rebalanceTimeoutMs,
      maxWaitTimeInMs: options.maxWaitTimeMs,
      allowAutoTopicCreation: false,
      retry: { restartOnFailure: async () => !stopping.signal.aborted },
    });
    consumer = current;
    const joined = new Promise<void>((resolve, reject) => {
      current.on(current.events.GROUP_JOIN, () => {
        lanes.onGroupJoin();
        // Partitions paused by lanes of the previous generation: their work was dropped.
        current.resume([{ topic }]);
        // Ephemeral: start exactly where the topic ended before we joined, once (later joins
        // resume from the offsets committed since).
        if (startOffsets) {
          for (const { partition, offset } of startOffsets)
            current.seek({ topic, partition, offset });
          startOffsets = undefined;
        }
        resolve();
      });
      current.on(current.events.CRASH, ({ payload }) => {
        if (payload.restart) return; // kafkajs restarts this consumer itself
        reject(payload.error);
        if (!stopping.signal.aborted && consumer === current) relaunch(current);
      });
    });
    joined.catch(() => undefined);
    await current.connect();
    await current.subscribe({ topic, fromBeginning: !ephemeral });
    await current.run({
      eachBatch: lanes.eachBatch,
      eachBatchAutoResolve: false,
      autoCommit: true,
      // Lets batches of several partitions reach their lanes at once; handlers stay bounded by
      // the lanes' own limit.
      partitionsConsumedConcurrently: subscribeOptions.concurrency,
    });
    if (stopping.signal.aborted) {
      // Closed while this (re)launch was under way: close() may have missed this consumer.
      await current.disconnect().catch(() => undefined);
      return;
    }
    await joined;
  };

  /**
   * Replaces a consumer kafkajs gave up on. Once per consumer: its CRASH event and a failed
   * `launch()` may both ask, and two live consumers would split the group's partitions.
   */
  const relaunch = (previous: Consumer): void => {
    if (relaunchTimer !== undefined || stopping.signal.aborted || consumer !== previous) return;
    relaunchTimer = setTimeout(async () => {
      await previous.disconnect().catch(() => undefined);
      relaunchTimer = undefined;
      if (stopping.signal.aborted) return;
      // A launch that fails before kafkajs reports a crash (connection refused) is retried.
      await launch().catch(() => consumer && relaunch(consumer));
    }, RELAUNCH_DELAY_MS);
  };

  const start = async (): Promise<void> => {
    await admin.ensureTopic(topic);
    if (ephemeral) startOffsets = await admin.endOffsets(topic);
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(
        () => reject(new Error(`did not join the group within ${options.subscribeTimeoutMs} ms`)),
        options.subscribeTimeoutMs,
      );
    });
    try {
      await Promise.race([launch(), timeout]);
    } catch (error) {
      if (stopping.signal.aborted) {
        throw new PlaytallyError(
          'TRANSPORT_CLOSED',
          `kafka transport: subscription to "${topic}" closed while starting`,
        );
      }
      throw transportError(`could not subscribe to "${topic}" as group "${groupId}"`, error, {
        topic,
        groupId,
      });
    } finally {
      clearTimeout(timer);
    }
  };

  const close = async (): Promise<void> => {
    stopping.abort();
    clearTimeout(relaunchTimer);
    try {
      // In-flight handlers may finish (bounded by the close timeout; past it they are told to
      // stop and their messages stay uncommitted), then what was handled is committed before
      // the consumer leaves the group.
      let timer: NodeJS.Timeout | undefined;
      const timedOut = new Promise<'timeout'>((resolve) => {
        timer = setTimeout(() => resolve('timeout'), options.closeTimeoutMs);
      });
      const finished = await Promise.race([lanes.idle(), timedOut]);
      clearTimeout(timer);
      if (finished === 'timeout') {
        handlerAbort.abort(
          new PlaytallyError(
            'TRANSPORT_CLOSED',
            `kafka transport: subscription to "${topic}" closed`,
          ),
        );
        // Handlers that heed the signal end now; one that ignores it is left behind, uncommitted.
        await Promise.race([lanes.idle(), delay(ABORT_GRACE_MS)]);
      }
      await lanes.commitHandled();
      await consumer?.disconnect().catch(() => undefined);
      if (ephemeral) await admin.deleteGroup(groupId).catch(() => undefined);
    } finally {
      deps.onClosed();
    }
  };

  return {
    subscription: {
      topic,
      group: subscribeOptions.group,
      close() {
        closing ??= close();
        return closing;
      },
    },
    start,
  };
}
