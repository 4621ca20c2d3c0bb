import { describeBrokerRestartContract, requireService } from '@playtally/transport/testing';
import { describe } from 'vitest';
import { crashBroker, probeScriptedBroker, startBroker } from '../test/broker-control.js';
import {
  createTestKafka,
  deleteTopics,
  probeKafka,
  TEST_BROKERS,
  testTransportOptions,
} from '../test/test-broker.js';
import { createKafkaTransport } from './index.js';

const available =
  (await requireService(`Kafka at ${TEST_BROKERS.join(',')}`, probeKafka)) &&
  (await requireService(
    'a Kafka broker started by scripts/kafka/start.sh (to restart it)',
    probeScriptedBroker,
  ));

describe.skipIf(!available)('kafka transport', () => {
  describeBrokerRestartContract('kafka (broker killed with SIGKILL, its pid file left behind)', {
    createTransport: () => createKafkaTransport(testTransportOptions()),
    restartBroker: async () => {
      try {
        await crashBroker();
        await new Promise((resolve) => setTimeout(resolve, 2_000));
      } finally {
        await startBroker();
      }
    },
    cleanup: (topics) => deleteTopics(createTestKafka(), topics),
    messageCount: 10_000,
    timeoutMs: 90_000,
  });
});
