import { describeTransportContract, requireService } from '@playtally/transport/testing';
import { describe } from 'vitest';
import {
  createTestKafka,
  deleteTopics,
  groupsReading,
  probeKafka,
  publishRaw,
  TEST_BROKERS,
  testTransportOptions,
} from '../test/test-broker.js';
import { createKafkaTransport } from './index.js';

const available = await requireService(`Kafka at ${TEST_BROKERS.join(',')}`, probeKafka);

describe.skipIf(!available)('kafka transport', () => {
  const inspector = createTestKafka();
  describeTransportContract('kafka', {
    createTransport: () => createKafkaTransport(testTransportOptions()),
    capabilities: { orderedByKey: true, survivesBrokerRestart: true, distributed: true },
    publishRaw: (topic, attributes, body) => publishRaw(inspector, topic, attributes, body),
    inspect: (topic) => groupsReading(inspector, topic),
    cleanup: (topics) => deleteTopics(inspector, topics),
  });
});
