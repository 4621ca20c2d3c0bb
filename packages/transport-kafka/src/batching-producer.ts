import { PlaytallyError } from '@playtally/transport';
import { type Kafka, type Message, Partitioners, type Producer, type TopicMessages } from 'kafkajs';
import { messageSize } from './headers-codec.js';
import type { ResolvedKafkaOptions } from './options.js';
import { createPartitionPicker } from './partition-picker.js';
import { transportError } from './topic-admin.js';

/**
 * Sends records in batches without making any caller wait for a timer: records published while
 * a produce request is in flight (or within `lingerMs`) form the next request, and each
 * `send` resolves when the broker acknowledged its batch with acks=-1. One request is in
 * flight at a time, so records keep their publish order per partition.
 */
export interface BatchingProducer {
  /**
   * Queues one record (taking ownership of it: its `partition` is set here); resolves on the
   * broker's acknowledgement, rejects if its batch failed.
   */
  send(topic: string, message: Message): Promise<void>;
  /**
   * Sends what is queued (waiting at most `closeTimeoutMs`; what is still queued then is
   * rejected), then disconnects. Later `send` calls reject. Idempotent.
   */
  close(): Promise<void>;
}

interface Pending {
  readonly topic: string;
  readonly message: Message;
  /** `topic` and partition, or `topic` alone while the partition is not known. */
  readonly bucket: string;
  readonly size: number;
  readonly resolve: () => void;
  readonly reject: (error: unknown) => void;
}

/** Creates a {@link BatchingProducer} with its own kafkajs producer, connected on first use. */
export function createBatchingProducer(
  kafka: Kafka,
  options: ResolvedKafkaOptions,
  partitionsOf: (topic: string) => number | undefined,
): BatchingProducer {
  const picker = createPartitionPicker();
  const producer: Producer = kafka.producer({
    allowAutoTopicCreation: false,
    idempotent: options.idempotent,
    createPartitioner: Partitioners.DefaultPartitioner,
  });
  let connecting: Promise<void> | undefined;
  const queue: Pending[] = [];
  let draining: Promise<void> | undefined;
  let cancelTimer: (() => void) | undefined;
  let closing: Promise<void> | undefined;

  const connected = (): Promise<void> => {
    connecting ??= producer.connect().catch((error: unknown) => {
      connecting = undefined;
      throw error;
    });
    return connecting;
  };

  /** The longest queue prefix that keeps every partition's share within `maxBatchBytes`. */
  const takeBatch = (): Pending[] => {
    const bytes = new Map<string, number>();
    let count = 0;
    while (count < queue.length && count < options.maxBatchMessages) {
      const pending = queue[count] as Pending;
      const sum = (bytes.get(pending.bucket) ?? 0) + pending.size;
      if (count > 0 && sum > options.maxBatchBytes) break;
      bytes.set(pending.bucket, sum);
      count++;
    }
    return queue.splice(0, count);
  };

  const sendBatch = async (batch: Pending[]): Promise<void> => {
    const byTopic = new Map<string, Message[]>();
    for (const { topic, message } of batch) {
      const messages = byTopic.get(topic);
      if (messages) messages.push(message);
      else byTopic.set(topic, [message]);
    }
    const topicMessages: TopicMessages[] = [...byTopic].map(([topic, messages]) => ({
      topic,
      messages,
    }));
    try {
      await connected();
      await producer.sendBatch({ topicMessages, acks: -1 });
      for (const pending of batch) pending.resolve();
    } catch (error) {
      const failure = transportError(`publish to ${[...byTopic.keys()].join(', ')} failed`, error, {
        topics: [...byTopic.keys()],
      });
      for (const pending of batch) pending.reject(failure);
    }
  };

  const drain = async (): Promise<void> => {
    while (queue.length > 0) await sendBatch(takeBatch());
    draining = undefined;
  };

  const startDraining = (): void => {
    cancelTimer?.();
    cancelTimer = undefined;
    if (!draining && queue.length > 0) draining = drain();
  };

  const schedule = (): void => {
    if (draining || cancelTimer) return;
    if (options.lingerMs > 0) {
      const timer = setTimeout(startDraining, options.lingerMs);
      cancelTimer = () => clearTimeout(timer);
    } else {
      const immediate = setImmediate(startDraining);
      cancelTimer = () => clearImmediate(immediate);
    }
  };

  return {
    send(topic, message) {
      if (closing) {
        return Promise.reject(
          new PlaytallyError(
            'TRANSPORT_CLOSED',
            `kafka transport: closed, cannot publish to "${topic}"`,
          ),
        );
      }
      // The record is this transport's own object, so it takes its partition in place.
      const partition = picker.pick(topic, message, partitionsOf(topic));
      if (partition !== undefined) message.partition = partition;
      const bucket = partition === undefined ? topic : `${topic}\u0000${partition}`;
      return new Promise<void>((resolve, reject) => {
        queue.push({ topic, message, bucket, size: messageSize(message), resolve, reject });
        if (queue.length >= options.maxBatchMessages) startDraining();
        else schedule();
      });
    },
    close() {
      closing ??= (async () => {
        startDraining();
        // Bounded: with the broker gone, queued records are failed rather than waited for forever.
        let timer: NodeJS.Timeout | undefined;
        const timedOut = new Promise<void>((resolve) => {
          timer = setTimeout(resolve, options.closeTimeoutMs);
        });
        await Promise.race([draining, timedOut]);
        clearTimeout(timer);
        const abandoned = queue.splice(0);
        const error = new PlaytallyError(
          'TRANSPORT_CLOSED',
          'kafka transport: closed before the broker confirmed',
        );
        for (const pending of abandoned) pending.reject(error);
        if (connecting) await producer.disconnect().catch(() => undefined);
      })();
      return closing;
    },
  };
}
