// Bench module for RabbitMQ: amqplib directly (confirm channel, persistent messages, confirms
// awaited per batch of 1,000, prefetch 500 with one ack per message) against the adapter. Both
// move the same events: the same headers and a JSON payload serialized per message and parsed
// on receipt.
import { randomUUID } from 'node:crypto';
import { createRequire } from 'node:module';
import { connect as connectTcp } from 'node:net';
import {
  benchAdapter,
  benchLatency,
  benchTopic,
  eventData,
  now,
  perSecond,
  until,
} from './lib.mjs';

const require = createRequire(
  new URL('../../packages/transport-amqp/package.json', import.meta.url),
);
const amqp = require('amqplib');
const url = process.env.AMQP_URL ?? 'amqp://guest:guest@127.0.0.1:5672';

async function withAdapter(work) {
  const { createAmqpTransport } = await import('../../packages/transport-amqp/dist/index.js');
  const transport = createAmqpTransport({ url });
  const topics = [];
  try {
    const result = await work(transport);
    topics.push(result.topic);
    return result;
  } finally {
    await transport.close();
    await deleteTopology(topics);
  }
}

async function deleteTopology(topics) {
  const connection = await amqp.connect(url);
  const channel = await connection.createChannel();
  for (const topic of topics) {
    for (const queue of [`${topic}.bench`, `${topic}.dead-letter.bench`])
      await channel.deleteQueue(queue);
    for (const exchange of [topic, `${topic}.dead-letter`]) await channel.deleteExchange(exchange);
  }
  await connection.close();
}

export default {
  name: 'amqp',
  url,
  available: () =>
    new Promise((resolve) => {
      const socket = connectTcp(5672, '127.0.0.1');
      socket.once('connect', () => resolve(socket.end() && true));
      socket.once('error', () => resolve(false));
    }),

  async raw({ count, size }) {
    const connection = await amqp.connect(url);
    const topic = benchTopic('amqp-raw');
    try {
      const channel = await connection.createConfirmChannel();
      await channel.assertExchange(topic, 'fanout', { durable: true });
      await channel.assertQueue(topic, { durable: true });
      await channel.bindQueue(topic, topic, '');
      // The same CloudEvents headers the adapter writes, so both send the same bytes.
      const headers = {
        cloudEvents_source: '/bench',
        cloudEvents_type: 'bench',
        cloudEvents_specversion: '1.0',
      };
      let started = now();
      for (let sent = 0; sent < count; sent += 1) {
        const id = randomUUID();
        channel.publish(topic, '', Buffer.from(JSON.stringify(eventData(sent, size))), {
          persistent: true,
          contentType: 'application/json',
          messageId: id,
          headers: { ...headers, cloudEvents_id: id, cloudEvents_time: new Date().toISOString() },
        });
        if (sent % 1000 === 999) await channel.waitForConfirms();
      }
      await channel.waitForConfirms();
      const publishPerSec = perSecond(count, now() - started);
      const consumer = await connection.createChannel();
      await consumer.prefetch(500);
      let received = 0;
      started = now();
      const { consumerTag } = await consumer.consume(topic, (message) => {
        if (message === null) return;
        JSON.parse(message.content.toString('utf8'));
        received += 1;
        consumer.ack(message);
      });
      await until(() => received >= count);
      const consumePerSec = perSecond(count, now() - started);
      await consumer.cancel(consumerTag);
      await consumer.deleteQueue(topic);
      await consumer.deleteExchange(topic);
      return { publishPerSec, consumePerSec };
    } finally {
      await connection.close();
    }
  },

  adapter: (options) => withAdapter((transport) => benchAdapter(transport, options)),
  latency: (options) => withAdapter((transport) => benchLatency(transport, options)),
};
