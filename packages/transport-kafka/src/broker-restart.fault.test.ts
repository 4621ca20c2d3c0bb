import { describeBrokerRestartContract, requireService } from '@playtally/transport/testing';
import { Kafka, logLevel } from 'kafkajs';
import { afterAll, beforeAll, describe } from 'vitest';
import { PrivateKafkaBroker } from '../test/broker-control.js';
import {
  deleteTopics,
  probeKafka,
  TEST_BROKERS,
  testTransportOptions,
} from '../test/test-broker.js';
import { createKafkaTransport } from './index.js';

// The private broker uses the jars scripts/kafka/start.sh fetched for the shared one.
const available = await requireService(`Kafka at ${TEST_BROKERS.join(',')}`, probeKafka);

describe.skipIf(!available)('kafka transport on a private broker', () => {
  const broker = new PrivateKafkaBroker();
  beforeAll(() => broker.start(), 240_000);
  afterAll(() => broker.destroy(), 120_000);

  describeBrokerRestartContract('kafka (broker killed with SIGKILL, its pid file left behind)', {
    createTransport: () => createKafkaTransport(testTransportOptions({ brokers: broker.brokers })),
    restartBroker: async () => {
      try {
        await broker.crash();
        await new Promise((resolve) => setTimeout(resolve, 2_000));
      } finally {
        await broker.start();
      }
    },
    cleanup: (topics) =>
      deleteTopics(new Kafka({ brokers: broker.brokers, logLevel: logLevel.NOTHING }), topics),
    messageCount: 10_000,
    timeoutMs: 90_000,
  });
});
