import type { Kafka } from 'kafkajs';

/**
 * Commits `partitions` as the offsets of consumer group `groupId` for `topic`, which creates the
 * group on the broker. kafkajs has no admin call that commits without a member (its
 * `admin.setOffsets` joins too, but waits out a full fetch), so this joins the group briefly
 * with a consumer that never processes anything, commits, and leaves.
 */
export async function commitGroupOffsets(
  kafka: Kafka,
  groupId: string,
  topic: string,
  partitions: ReadonlyArray<{ partition: number; offset: string }>,
): Promise<void> {
  const consumer = kafka.consumer({ groupId, maxWaitTimeInMs: 100, allowAutoTopicCreation: false });
  try {
    const joined = new Promise<void>((resolve, reject) => {
      consumer.on(consumer.events.GROUP_JOIN, () => resolve());
      consumer.on(consumer.events.CRASH, ({ payload }) => reject(payload.error));
    });
    joined.catch(() => undefined);
    await consumer.connect();
    await consumer.subscribe({ topic, fromBeginning: true });
    // Nothing is resolved, so nothing but the offsets below is ever committed.
    await consumer.run({ eachBatchAutoResolve: false, eachBatch: async () => undefined });
    await joined;
    consumer.pause([{ topic }]);
    await consumer.commitOffsets(
      partitions.map(({ partition, offset }) => ({ topic, partition, offset })),
    );
  } finally {
    await consumer.disconnect();
  }
}
