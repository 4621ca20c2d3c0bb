// Bench module for Redis Streams: ioredis directly (pipelined XADD in batches of 1,000, then
// XREADGROUP COUNT 500 with one XACK per batch) against the adapter. Both move the same events:
// the same attribute fields and a JSON payload serialized per message and parsed on receipt.
import { randomUUID } from 'node:crypto';
import { createRequire } from 'node:module';
import { connect as connectTcp } from 'node:net';
import { benchAdapter, benchLatency, benchTopic, eventData, now, perSecond } from './lib.mjs';

const require = createRequire(
  new URL('../../packages/transport-redis/package.json', import.meta.url),
);
const { Redis } = require('ioredis');
const url = process.env.REDIS_URL ?? 'redis://127.0.0.1:6379';

async function withAdapter(work) {
  const { createRedisTransport } = await import('../../packages/transport-redis/dist/index.js');
  const transport = createRedisTransport({ url });
  let topic;
  try {
    const result = await work(transport);
    topic = result.topic;
    return result;
  } finally {
    await transport.close();
    if (topic !== undefined) {
      const redis = new Redis(url);
      await redis.del(topic, `${topic}.dead-letter`);
      redis.disconnect();
    }
  }
}

export default {
  name: 'redis',
  url,
  available: () =>
    new Promise((resolve) => {
      const socket = connectTcp(6379, '127.0.0.1');
      socket.once('connect', () => resolve(socket.end() && true));
      socket.once('error', () => resolve(false));
    }),

  async raw({ count, size }) {
    const redis = new Redis(url);
    const topic = benchTopic('redis-raw');
    try {
      await redis.call('XGROUP', 'CREATE', topic, 'bench', '$', 'MKSTREAM');
      // The same CloudEvent attribute fields the adapter writes, so both send the same bytes.
      const fields = ['ce_source', '/bench', 'ce_type', 'bench', 'ce_specversion', '1.0'];
      let started = now();
      for (let start = 0; start < count; start += 1000) {
        const pipeline = redis.pipeline();
        for (let n = start; n < Math.min(count, start + 1000); n += 1) {
          const body = JSON.stringify(eventData(n, size));
          pipeline.xadd(
            topic,
            'MAXLEN',
            '~',
            1_000_000,
            '*',
            'ce_id',
            randomUUID(),
            ...fields,
            'ce_time',
            new Date().toISOString(),
            'ce_datacontenttype',
            'application/json',
            'data',
            body,
          );
        }
        await pipeline.exec();
      }
      const publishPerSec = perSecond(count, now() - started);
      let received = 0;
      started = now();
      while (received < count) {
        const reply = await redis.xreadgroupBuffer(
          'GROUP',
          'bench',
          'raw',
          'COUNT',
          500,
          'STREAMS',
          topic,
          '>',
        );
        const entries = reply?.[0]?.[1] ?? [];
        if (entries.length === 0) continue;
        for (const [, values] of entries) JSON.parse(values[values.length - 1].toString('utf8'));
        await redis.xack(topic, 'bench', ...entries.map(([id]) => id));
        received += entries.length;
      }
      const consumePerSec = perSecond(count, now() - started);
      await redis.del(topic);
      return { publishPerSec, consumePerSec };
    } finally {
      redis.disconnect();
    }
  },

  adapter: (options) => withAdapter((transport) => benchAdapter(transport, options)),
  latency: (options) => withAdapter((transport) => benchLatency(transport, options)),
};
