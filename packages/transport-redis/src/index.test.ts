import { createCloudEvent, createTransport, deadLetterTopic } from '@playtally/transport';
import { describeTransportContract, probeTcp, requireService } from '@playtally/transport/testing';
import { Redis } from 'ioredis';
import { describe, expect, it, vi } from 'vitest';
import { consumerGroups, deleteStreams, publishRaw, REDIS_URL } from '../test/redis.js';
import { createRedisTransport } from './index.js';

const available = await requireService('Redis at 127.0.0.1:6379', () =>
  probeTcp('127.0.0.1', 6379),
);

describe.skipIf(!available)('redis transport', () => {
  describeTransportContract('redis', {
    createTransport: () => createRedisTransport({ url: REDIS_URL }),
    capabilities: { orderedByKey: true, survivesBrokerRestart: false, distributed: true },
    publishRaw,
    inspect: consumerGroups,
    cleanup: deleteStreams,
  });
});

describe.skipIf(!available)('redis transport, beyond the contract', () => {
  it('is what createTransport builds for a redis:// URL', async () => {
    const transport = await createTransport(REDIS_URL, {
      importModule: (specifier) => import(specifier),
    });
    try {
      expect(transport.name).toBe('redis');
      await expect(transport.ping()).resolves.toBeUndefined();
    } finally {
      await transport.close();
    }
  });

  it('dead-letters an entry that crashed consumers left pending more than maxAttempts times', async () => {
    const topic = `redis.abandoned.${Date.now()}`;
    const transport = createRedisTransport({ url: REDIS_URL, claimIdleMs: 200 });
    const redis = new Redis(REDIS_URL);
    try {
      await transport.ensure(topic, ['workers']);
      await transport.publish(
        topic,
        createCloudEvent({ type: 'poison', source: '/test', data: { n: 1 } }),
      );
      // A consumer took it and died, five times over.
      await redis.call(
        'XREADGROUP',
        'GROUP',
        'workers',
        'ghost',
        'COUNT',
        1,
        'STREAMS',
        topic,
        '>',
      );
      const [[id]] = (await redis.call('XPENDING', topic, 'workers', '-', '+', 1)) as [[string]];
      await redis.call('XCLAIM', topic, 'workers', 'ghost', 0, id, 'RETRYCOUNT', 5, 'JUSTID');
      const handled: string[] = [];
      await transport.subscribe(topic, async (event) => void handled.push(event.id), {
        group: 'workers',
        maxAttempts: 5,
      });
      const deadLetters: (string | undefined)[] = [];
      await transport.subscribe(
        deadLetterTopic(topic),
        async (event) => void deadLetters.push(event.extensions?.deadletterreason),
        {
          group: 'workers',
        },
      );
      await vi.waitFor(() => expect(deadLetters).toHaveLength(1), { timeout: 10_000 });
      expect(deadLetters[0]).toMatch(/delivered 5 times without being acknowledged/);
      expect(handled).toEqual([]);
    } finally {
      await transport.close();
      await deleteStreams([topic]);
      redis.disconnect();
    }
  });
});
