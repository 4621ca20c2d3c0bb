import { probeTcp, requireService } from '@playtally/transport/testing';
import { describe } from 'vitest';
import { deleteStreams, REDIS_URL } from '../../../packages/transport-redis/test/redis.js';
import { describeEndToEnd } from './end-to-end.js';
import { POSTGRES_URL, probePostgres } from './postgres.js';

const available =
  (await requireService('Redis at 127.0.0.1:6379', () => probeTcp('127.0.0.1', 6379))) &&
  (await requireService(`PostgreSQL at ${POSTGRES_URL}`, probePostgres));

describe.skipIf(!available)('end to end over Redis Streams', () => {
  describeEndToEnd('Redis', {
    composeStack: 'redis',
    transportUrl: REDIS_URL,
    deleteTopics: (topics) => deleteStreams(topics),
  });
});
