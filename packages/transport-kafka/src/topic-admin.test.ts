import type { Kafka } from 'kafkajs';
import { KafkaJSProtocolError } from 'kafkajs';
import { describe, expect, it } from 'vitest';
import { resolveKafkaOptions } from './options.js';
import { createTopicAdmin } from './topic-admin.js';

/** A kafkajs client whose admin answers `fetchTopicOffsets` with the errors given, then offsets. */
function kafkaFailingOffsets(errors: Error[]): { kafka: Kafka; calls: () => number } {
  let calls = 0;
  const admin = {
    connect: async () => {},
    disconnect: async () => {},
    fetchTopicOffsets: async () => {
      calls += 1;
      const error = errors.shift();
      if (error) throw error;
      return [{ partition: 0, offset: '7', high: '7', low: '0' }];
    },
  };
  return { kafka: { admin: () => admin } as unknown as Kafka, calls: () => calls };
}

/** A protocol error as kafkajs makes one from an entry of its error-code table. */
function protocolError(type: string, code: number, retriable: boolean, message: string): Error {
  return new KafkaJSProtocolError({ type, code, retriable, message } as unknown as Error);
}

const options = resolveKafkaOptions({ brokers: ['127.0.0.1:9092'], subscribeTimeoutMs: 5000 });

describe('the topic admin', () => {
  it("retries a topic's end offsets while its partitions have no leader yet", async () => {
    // Code 6: NOT_LEADER_FOR_PARTITION, as a broker answers right after another process created the topic.
    const notLeader = protocolError(
      'NOT_LEADER_FOR_PARTITION',
      6,
      true,
      'This server is not the leader for that topic-partition',
    );
    const { kafka, calls } = kafkaFailingOffsets([notLeader, notLeader]);
    const offsets = await createTopicAdmin(kafka, options).endOffsets('t');
    expect(offsets).toEqual([{ partition: 0, offset: '7' }]);
    expect(calls()).toBe(3);
  });

  it('does not retry an error that is not transient', async () => {
    const denied = protocolError(
      'TOPIC_AUTHORIZATION_FAILED',
      29,
      false,
      'Not authorized to access topics',
    );
    const { kafka, calls } = kafkaFailingOffsets([denied]);
    await expect(createTopicAdmin(kafka, options).endOffsets('t')).rejects.toThrow(
      /Not authorized/,
    );
    expect(calls()).toBe(1);
  });
});
