import { createMemoryTransport } from '@playtally/transport';
import { probeTcp, requireService } from '@playtally/transport/testing';
import { createAmqpTransport } from '@playtally/transport-amqp';
import { createKafkaTransport } from '@playtally/transport-kafka';
import { createRedisTransport } from '@playtally/transport-redis';
import { describe } from 'vitest';
import {
  AMQP_URL,
  deleteTopics as deleteExchanges,
} from '../../../../packages/transport-amqp/test/rabbitmq.js';
import {
  createTestKafka,
  deleteTopics as deleteKafkaTopics,
  probeKafka,
  TEST_BROKERS,
  testTransportOptions,
} from '../../../../packages/transport-kafka/test/test-broker.js';
import { deleteStreams, REDIS_URL } from '../../../../packages/transport-redis/test/redis.js';
import { describeSystemApi } from './system-api.js';

describeSystemApi('memory', {
  open: async () => createMemoryTransport(),
  deleteTopics: async () => {},
  timeoutMs: 10_000,
});

const rabbit = await requireService('RabbitMQ at 127.0.0.1:5672', () =>
  probeTcp('127.0.0.1', 5672),
);
describe.skipIf(!rabbit)('RabbitMQ', () => {
  describeSystemApi('RabbitMQ', {
    open: async () => createAmqpTransport({ url: AMQP_URL }),
    deleteTopics: deleteExchanges,
    timeoutMs: 15_000,
  });
});

const redis = await requireService('Redis at 127.0.0.1:6379', () => probeTcp('127.0.0.1', 6379));
describe.skipIf(!redis)('Redis', () => {
  describeSystemApi('Redis', {
    open: async () => createRedisTransport({ url: REDIS_URL }),
    deleteTopics: (topics) => deleteStreams(topics),
    timeoutMs: 15_000,
  });
});

const kafka = await requireService(
  `Kafka at ${TEST_BROKERS.join(',')} (scripts/kafka/start)`,
  probeKafka,
);
describe.skipIf(!kafka)('Kafka', () => {
  describeSystemApi('Kafka', {
    open: async () => createKafkaTransport(testTransportOptions()),
    deleteTopics: (topics) => deleteKafkaTopics(createTestKafka(), topics),
    timeoutMs: 45_000,
  });
});
