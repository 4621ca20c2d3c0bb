import { randomBytes } from 'node:crypto';
import { isPlaytallyError } from '@playtally/transport';
import { probeTcp, requireService } from '@playtally/transport/testing';
import { Redis } from 'ioredis';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { deleteStreams, REDIS_URL } from '../test/redis.js';
import { createRedisTransport } from './index.js';

const available = await requireService('Redis at 127.0.0.1:6379', () =>
  probeTcp('127.0.0.1', 6379),
);

/** A client with a name of its own; the transport's reader connections inherit it. */
function namedClient(): { client: Redis; connections: () => Promise<number> } {
  const name = `playtally-test-${randomBytes(4).toString('hex')}`;
  const client = new Redis(REDIS_URL, { connectionName: name, maxRetriesPerRequest: null });
  const connections = async () =>
    String(await client.call('CLIENT', 'LIST'))
      .split('\n')
      .filter((line) => line.includes(` name=${name} `)).length;
  return { client, connections };
}

const topics: string[] = [];
afterEach(async () => {
  await deleteStreams(topics.splice(0));
});

describe.skipIf(!available)('redis transport lifecycle', () => {
  it('closes the reader connection of a subscription that opened after subscribe timed out', async () => {
    const { client, connections } = namedClient();
    const topic = `redis.slow-open.${randomBytes(4).toString('hex')}`;
    topics.push(topic);
    const transport = createRedisTransport({ client, publishTimeoutMs: 1 });
    try {
      const error = await transport
        .subscribe(topic, async () => {}, { group: 'slow' })
        .catch((e: unknown) => e);
      expect(isPlaytallyError(error, 'TRANSPORT_ERROR')).toBe(true);
      expect(String((error as Error).message)).toMatch(/no answer within 1 ms/);
      await vi.waitFor(async () => expect(await connections()).toBe(1), { timeout: 5000 });
    } finally {
      await transport.close();
      client.disconnect();
    }
  });
});
