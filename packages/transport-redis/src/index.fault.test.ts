import { fileURLToPath } from 'node:url';
import {
  describeBrokerRestartContract,
  describeConsumerCrashContract,
  probeTcp,
  requireService,
} from '@playtally/transport/testing';
import { afterAll, beforeAll, describe } from 'vitest';
import { deleteStreams, REDIS_URL } from '../test/redis.js';
import { PrivateRedisServer } from '../test/redis-server.js';
import { createRedisTransport } from './index.js';

const available = await requireService('Redis at 127.0.0.1:6379', () =>
  probeTcp('127.0.0.1', 6379),
);

describe.skipIf(!available)('redis transport faults', () => {
  const server = new PrivateRedisServer();
  beforeAll(() => server.start());
  afterAll(() => server.destroy());

  describeBrokerRestartContract('redis', {
    createTransport: () =>
      createRedisTransport({
        url: server.url,
        publishTimeoutMs: 90_000,
        survivesBrokerRestart: true,
      }),
    restartBroker: async () => {
      try {
        await server.kill('SIGKILL');
        await new Promise((resolve) => setTimeout(resolve, 2000));
      } finally {
        await server.start();
      }
    },
  });

  describeConsumerCrashContract('redis', {
    createTransport: () => createRedisTransport({ url: REDIS_URL, claimIdleMs: 1000 }),
    consumerScript: fileURLToPath(new URL('../test/holding-consumer.ts', import.meta.url)),
    env: { REDIS_URL },
    cleanup: deleteStreams,
  });
});
