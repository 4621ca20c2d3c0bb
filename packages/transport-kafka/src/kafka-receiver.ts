import { randomUUID } from 'node:crypto';
import type {
  DeliverySink,
  Logger,
  Receiver,
  ResolvedSubscribeOptions,
} from '@playtally/transport';
import type { Consumer, Kafka } from 'kafkajs';
import type { ResolvedKafkaOptions } from './options.js';
import { createPartitionLanes, type KafkaDelivery } from './partition-lanes.js';
import { kafkaGroupId, type TopicAdmin } from './topic-admin.js';

/** What a receiver borrows from its transport. */
export interface KafkaReceiverDeps {
  readonly kafka: Kafka;
  readonly admin: TopicAdmin;
  readonly options: ResolvedKafkaOptions;
  readonly logger: Logger;
}

/**
 * One kafkajs consumer for one subscription. A named group is the Kafka consumer group
 * `<topic>:<group>` (see {@link kafkaGroupId}); it starts from the earliest retained offset when
 * it has no committed offset yet (so events published between `ensure()` or `subscribe()` and
 * the first fetch are kept for it). An ephemeral subscription gets a throwaway group positioned
 * at the topic's end offsets as they were before it joined (so it sees exactly what is published
 * after `subscribe()` resolves), and the group is deleted on close. When kafkajs gives up on the
 * consumer without restarting it (a non-retriable error), the kit is told and opens a new one,
 * so a subscription survives broker restarts of any length.
 */
export async function openKafkaReceiver(
  topic: string,
  subscribeOptions: ResolvedSubscribeOptions,
  sink: DeliverySink<KafkaDelivery>,
  deps: KafkaReceiverDeps,
): Promise<Receiver<KafkaDelivery>> {
  const { kafka, admin, options, logger } = deps;
  const ephemeral = subscribeOptions.group === undefined;
  const groupId = kafkaGroupId(
    topic,
    subscribeOptions.group ?? `${options.clientId}-ephemeral-${randomUUID()}`,
  );
  const lanes = createPartitionLanes(sink, logger);
  await admin.ensureTopic(topic);
  let startOffsets = ephemeral ? await admin.endOffsets(topic) : undefined;
  let stopping = false;
  const consumer: Consumer = kafka.consumer({
    groupId,
    sessionTimeout: options.sessionTimeoutMs,
    heartbeatInterval: options.heartbeatIntervalMs,
    rebalanceTimeout: options.rebalanceTimeoutMs,
    maxWaitTimeInMs: options.maxWaitTimeMs,
    allowAutoTopicCreation: false,
    retry: { restartOnFailure: async () => !stopping },
  });
  const joined = new Promise<void>((resolve, reject) => {
    consumer.on(consumer.events.GROUP_JOIN, () => {
      lanes.onGroupJoin();
      // Partitions paused by lanes of the previous generation: their work was dropped.
      consumer.resume([{ topic }]);
      // Ephemeral: start exactly where the topic ended before we joined, once (later joins
      // resume from the offsets committed since).
      for (const { partition, offset } of startOffsets ?? [])
        consumer.seek({ topic, partition, offset });
      startOffsets = undefined;
      resolve();
    });
    consumer.on(consumer.events.CRASH, ({ payload }) => {
      if (payload.restart) return; // kafkajs restarts this consumer itself
      reject(payload.error);
      if (!stopping) sink.lost(payload.error);
    });
  });
  joined.catch(() => undefined);
  try {
    await consumer.connect();
    await consumer.subscribe({ topic, fromBeginning: !ephemeral });
    await consumer.run({
      eachBatch: lanes.eachBatch,
      eachBatchAutoResolve: false,
      autoCommit: true,
      // Lets batches of several partitions reach the kit at once; it bounds the handlers.
      partitionsConsumedConcurrently: subscribeOptions.concurrency,
    });
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<never>((_, reject) => {
      const message = `did not join group "${groupId}" within ${options.subscribeTimeoutMs} ms`;
      timer = setTimeout(() => reject(new Error(message)), options.subscribeTimeoutMs);
    });
    await Promise.race([joined, timeout]).finally(() => clearTimeout(timer));
  } catch (error) {
    stopping = true;
    await consumer.disconnect().catch(() => undefined); // the error that matters is thrown below
    throw error;
  }

  return {
    ack: lanes.ack,
    isCurrent: lanes.isCurrent,
    async stop() {
      stopping = true;
      lanes.stop();
    },
    async close() {
      stopping = true;
      // What was handled is committed before the consumer leaves the group.
      await lanes.commitHandled();
      await consumer.disconnect();
      if (ephemeral) await admin.deleteGroup(groupId);
    },
  };
}
