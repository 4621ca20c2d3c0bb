import { probeTcp, requireService } from '@playtally/transport/testing';
import { describe } from 'vitest';
import { AMQP_URL, deleteTopics } from '../../../packages/transport-amqp/test/rabbitmq.js';
import { describeEndToEnd } from './end-to-end.js';
import { POSTGRES_URL, probePostgres } from './postgres.js';
import { probeS3, S3_ENDPOINT } from './s3-storage.js';

const available =
  (await requireService('RabbitMQ at 127.0.0.1:5672', () => probeTcp('127.0.0.1', 5672))) &&
  (await requireService(`PostgreSQL at ${POSTGRES_URL}`, probePostgres)) &&
  (await requireService(`an S3 server at ${S3_ENDPOINT} (bash scripts/s3/start.sh)`, probeS3));

describe.skipIf(!available)('end to end over RabbitMQ', () => {
  describeEndToEnd('RabbitMQ', { composeStack: 'rabbitmq', transportUrl: AMQP_URL, deleteTopics });
});
