import { fileURLToPath } from 'node:url';
import {
  describeBrokerRestartContract,
  describeConsumerCrashContract,
  probeTcp,
  requireService,
} from '@playtally/transport/testing';
import { afterAll, beforeAll, describe } from 'vitest';
import { PrivateRabbitMq } from '../test/private-rabbitmq.js';
import { AMQP_URL, deleteTopics } from '../test/rabbitmq.js';
import { createAmqpTransport } from './index.js';

const available = await requireService('RabbitMQ at 127.0.0.1:5672', () =>
  probeTcp('127.0.0.1', 5672),
);

describe.skipIf(!available)('amqp transport faults', () => {
  // The restart stops a node of this test's own, never the shared broker.
  const node = new PrivateRabbitMq();
  beforeAll(() => node.start(), 180_000);
  afterAll(() => node.destroy(), 120_000);

  describeBrokerRestartContract('amqp', {
    createTransport: () => createAmqpTransport({ url: node.url, publishTimeoutMs: 90_000 }),
    restartBroker: async () => {
      try {
        await node.ctl('stop_app');
        await new Promise((resolve) => setTimeout(resolve, 2000));
      } finally {
        await node.ctl('start_app');
      }
    },
  });

  describeConsumerCrashContract('amqp', {
    createTransport: () => createAmqpTransport({ url: AMQP_URL }),
    consumerScript: fileURLToPath(new URL('../test/holding-consumer.ts', import.meta.url)),
    env: { AMQP_URL },
    cleanup: deleteTopics,
  });
});
