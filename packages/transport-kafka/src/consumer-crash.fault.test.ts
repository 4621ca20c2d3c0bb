import { fileURLToPath } from 'node:url';
import { describeConsumerCrashContract, requireService } from '@playtally/transport/testing';
import { describe } from 'vitest';
import {
  createTestKafka,
  deleteTopics,
  probeKafka,
  TEST_BROKERS,
  testTransportOptions,
} from '../test/test-broker.js';
import { createKafkaTransport } from './index.js';

const available = await requireService(`Kafka at ${TEST_BROKERS.join(',')}`, probeKafka);

describe.skipIf(!available)('kafka transport', () => {
  describeConsumerCrashContract('kafka', {
    createTransport: () => createKafkaTransport(testTransportOptions()),
    consumerScript: fileURLToPath(new URL('../test/holding-consumer.ts', import.meta.url)),
    env: { KAFKA_BROKERS: TEST_BROKERS.join(',') },
    cleanup: (topics) => deleteTopics(createTestKafka(), topics),
    timeoutMs: 30_000,
  });
});
