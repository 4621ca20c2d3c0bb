import { probeTcp, requireService } from '@playtally/transport/testing';
import { describe } from 'vitest';
import { AMQP_URL, deleteTopics } from '../../../packages/transport-amqp/test/rabbitmq.js';
import { describeEndToEnd } from './end-to-end.js';
import { POSTGRES_URL, probePostgres } from './postgres.js';

const available =
  (await requireService('RabbitMQ at 127.0.0.1:5672', () => probeTcp('127.0.0.1', 5672))) &&
  (await requireService(`PostgreSQL at ${POSTGRES_URL}`, probePostgres));

describe.skipIf(!available)('end to end over RabbitMQ', () => {
  describeEndToEnd('RabbitMQ', { composeStack: 'rabbitmq', transportUrl: AMQP_URL, deleteTopics });
});
