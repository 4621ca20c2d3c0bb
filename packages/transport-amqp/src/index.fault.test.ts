import { fileURLToPath } from 'node:url';
import {
  describeBrokerRestartContract,
  describeConsumerCrashContract,
  probeTcp,
  requireService,
} from '@playtally/transport/testing';
import { afterAll, describe } from 'vitest';
import { AMQP_URL, deleteTopics, rabbitmqctl } from '../test/rabbitmq.js';
import { createAmqpTransport } from './index.js';

const available = await requireService('RabbitMQ at 127.0.0.1:5672', () =>
  probeTcp('127.0.0.1', 5672),
);

describe.skipIf(!available)('amqp transport faults', () => {
  // Whatever happens, leave the shared broker running.
  afterAll(() => rabbitmqctl('start_app'), 120_000);

  describeBrokerRestartContract('amqp', {
    createTransport: () => createAmqpTransport({ url: AMQP_URL, publishTimeoutMs: 90_000 }),
    restartBroker: async () => {
      try {
        await rabbitmqctl('stop_app');
        await new Promise((resolve) => setTimeout(resolve, 2000));
      } finally {
        await rabbitmqctl('start_app');
      }
    },
    cleanup: deleteTopics,
  });

  describeConsumerCrashContract('amqp', {
    createTransport: () => createAmqpTransport({ url: AMQP_URL }),
    consumerScript: fileURLToPath(new URL('../test/holding-consumer.ts', import.meta.url)),
    env: { AMQP_URL },
    cleanup: deleteTopics,
  });
});
