// Child process of the consumer-crash fault test: takes events and holds them until killed.
import { runHoldingConsumer } from '@playtally/transport/testing';
import { createRedisTransport } from '../src/index.js';

await runHoldingConsumer(
  createRedisTransport({
    url: process.env.REDIS_URL ?? 'redis://127.0.0.1:6379',
    claimIdleMs: 1000,
  }),
);
