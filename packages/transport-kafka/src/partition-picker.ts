import { type Message, Partitioners, type PartitionMetadata } from 'kafkajs';

/**
 * Picks a record's partition before it is queued, with kafkajs' own default partitioner (the
 * Java client's: murmur2 of the key, round robin without one), so the batching layer knows how
 * many bytes each partition's record batch will hold: the broker refuses a record batch above
 * `message.max.bytes` (1 MiB by default), not a request.
 */
export interface PartitionPicker {
  /** The partition for `message`, or `undefined` while the topic's partition count is unknown. */
  pick(topic: string, message: Message, partitions: number | undefined): number | undefined;
}

/** Creates a {@link PartitionPicker}. */
export function createPartitionPicker(): PartitionPicker {
  const partitioner = Partitioners.DefaultPartitioner();
  const metadata = new Map<number, PartitionMetadata[]>();
  const metadataFor = (count: number): PartitionMetadata[] => {
    let list = metadata.get(count);
    if (!list) {
      list = Array.from({ length: count }, (_, partitionId) => ({
        partitionErrorCode: 0,
        partitionId,
        leader: 0,
        replicas: [0],
        isr: [0],
      }));
      metadata.set(count, list);
    }
    return list;
  };
  return {
    pick(topic, message, partitions) {
      if (partitions === undefined || partitions < 1) return undefined;
      return partitioner({ topic, partitionMetadata: metadataFor(partitions), message });
    },
  };
}
