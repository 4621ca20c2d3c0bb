/**
 * The consumer process of `consumer-crash.fault.test.ts`: joins the group the test names and
 * holds the events it takes without ever finishing them, until the test kills it with SIGKILL.
 */
import { runHoldingConsumer } from '@playtally/transport/testing';
import { createKafkaTransport } from '../src/index.js';

const brokers = process.env.KAFKA_BROKERS ?? '127.0.0.1:9092';
// A short session timeout, so the group notices the killed process within seconds.
await runHoldingConsumer(
  createKafkaTransport({
    brokers,
    clientId: 'playtally-test-holder',
    sessionTimeoutMs: 6_000,
    heartbeatIntervalMs: 1_000,
    maxWaitTimeMs: 500,
  }),
);
