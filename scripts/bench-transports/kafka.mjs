// Bench module for Apache Kafka: kafkajs directly against the adapter. The raw client does what
// an application using kafkajs would do with the same events: JSON-encodes each payload
// (`eventData`, as the adapter gets it), sends batches of 1,000 records with acks=-1 and the same
// ce_ headers, one request in flight; then a consumer group reads with eachBatch, JSON-decodes
// each value, resolves every offset and commits after each batch.
// The broker is the one scripts/kafka/start.sh runs; KAFKA_BROKERS points elsewhere.
import { randomUUID } from 'node:crypto';
import { createRequire } from 'node:module';
import { benchAdapter, benchLatency, benchTopic, eventData, now, perSecond } from './lib.mjs';

const require = createRequire(
  new URL('../../packages/transport-kafka/package.json', import.meta.url),
);
const { Kafka, logLevel, Partitioners } = require('kafkajs');
const brokers = (process.env.KAFKA_BROKERS ?? '127.0.0.1:9092').split(',');
const url = `kafka://${brokers.join(',')}`;
const partitions = 3;

const kafka = new Kafka({ clientId: 'playtally-bench-raw', brokers, logLevel: logLevel.NOTHING });

/** Deletes `topic`, its dead-letter topic and their consumer groups (`<topic>:<group>`). */
async function deleteTopic(topic) {
  const admin = kafka.admin();
  await admin.connect();
  try {
    const topics = [topic, `${topic}.dead-letter`];
    const { groups } = await admin.listGroups();
    const ours = groups
      .map((g) => g.groupId)
      .filter((g) => topics.some((t) => g.startsWith(`${t}:`)));
    if (ours.length > 0) await admin.deleteGroups(ours).catch(() => undefined);
    const existing = (await admin.listTopics()).filter((t) => topics.includes(t));
    if (existing.length > 0) await admin.deleteTopics({ topics: existing });
  } finally {
    await admin.disconnect();
  }
}

async function withAdapter(work) {
  const { createKafkaTransport } = await import('../../packages/transport-kafka/dist/index.js');
  const transport = createKafkaTransport({
    brokers,
    clientId: 'playtally-bench',
    partitions,
    logLevel: 'nothing',
  });
  let topic;
  try {
    const result = await work(transport);
    topic = result.topic;
    return result;
  } finally {
    await transport.close();
    if (topic !== undefined) await deleteTopic(topic);
  }
}

export default {
  name: 'kafka',
  url,
  async available() {
    const probe = new Kafka({
      brokers,
      logLevel: logLevel.NOTHING,
      retry: { retries: 0 },
      connectionTimeout: 1000,
    });
    const admin = probe.admin();
    try {
      await admin.connect();
      await admin.listTopics();
      return true;
    } catch {
      return false;
    } finally {
      await admin.disconnect().catch(() => undefined);
    }
  },

  async raw({ count, size }) {
    const topic = benchTopic('kafka-raw');
    const admin = kafka.admin();
    const producer = kafka.producer({
      allowAutoTopicCreation: false,
      createPartitioner: Partitioners.DefaultPartitioner,
    });
    const consumer = kafka.consumer({ groupId: `${topic}:bench` });
    try {
      await admin.connect();
      await admin.createTopics({
        topics: [{ topic, numPartitions: partitions }],
        waitForLeaders: true,
      });
      await producer.connect();
      const time = new Date().toISOString();
      const prefix = randomUUID();
      let started = now();
      for (let start = 0; start < count; start += 1000) {
        const messages = [];
        for (let n = start; n < Math.min(count, start + 1000); n += 1) {
          const headers = {
            ce_id: `${prefix}-${n}`,
            ce_source: '/bench',
            ce_type: 'bench',
            ce_specversion: '1.0',
          };
          messages.push({
            value: JSON.stringify(eventData(n, size)),
            headers: { ...headers, ce_time: time, 'content-type': 'application/json' },
          });
        }
        await producer.send({ topic, acks: -1, messages });
      }
      const publishPerSec = perSecond(count, now() - started);
      let received = 0;
      started = now();
      await consumer.connect();
      await consumer.subscribe({ topic, fromBeginning: true });
      await consumer.run({
        eachBatchAutoResolve: false,
        eachBatch: async ({
          batch,
          resolveOffset,
          commitOffsetsIfNecessary,
          uncommittedOffsets,
        }) => {
          for (const message of batch.messages) {
            JSON.parse(message.value.toString());
            resolveOffset(message.offset);
            received += 1;
          }
          await commitOffsetsIfNecessary(uncommittedOffsets());
        },
      });
      while (received < count) await new Promise((resolve) => setTimeout(resolve, 5));
      const consumePerSec = perSecond(count, now() - started);
      return { publishPerSec, consumePerSec };
    } finally {
      await consumer.disconnect().catch(() => undefined);
      await producer.disconnect().catch(() => undefined);
      await admin.disconnect().catch(() => undefined);
      await deleteTopic(topic);
    }
  },

  adapter: (options) => withAdapter((transport) => benchAdapter(transport, options)),
  latency: (options) => withAdapter((transport) => benchLatency(transport, options)),
};
