import { probeTcp, requireService } from '@playtally/transport/testing';
import { describe } from 'vitest';
import { deleteStreams, REDIS_URL } from '../../../packages/transport-redis/test/redis.js';
import { describeEndToEnd } from './end-to-end.js';
import { POSTGRES_URL, probePostgres } from './postgres.js';
import { probeS3, S3_ENDPOINT } from './s3-storage.js';

const available =
  (await requireService('Redis at 127.0.0.1:6379', () => probeTcp('127.0.0.1', 6379))) &&
  (await requireService(`PostgreSQL at ${POSTGRES_URL}`, probePostgres)) &&
  (await requireService(`an S3 server at ${S3_ENDPOINT} (bash scripts/s3/start.sh)`, probeS3));

describe.skipIf(!available)('end to end over Redis Streams', () => {
  describeEndToEnd('Redis', {
    composeStack: 'redis',
    transportUrl: REDIS_URL,
    deleteTopics: (topics) => deleteStreams(topics),
  });
});
