// Child process of the consumer-crash fault test: takes events and holds them until killed.
import { runHoldingConsumer } from '@playtally/transport/testing';
import { createAmqpTransport } from '../src/index.js';

await runHoldingConsumer(
  createAmqpTransport({ url: process.env.AMQP_URL ?? 'amqp://guest:guest@127.0.0.1:5672' }),
);
