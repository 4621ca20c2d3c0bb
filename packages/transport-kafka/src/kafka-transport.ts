import { defineTransport, type Transport } from '@playtally/transport';
import { Kafka, logLevel } from 'kafkajs';
import { createBatchingProducer } from './batching-producer.js';
import { toKafkaMessage } from './headers-codec.js';
import { inspectGroups } from './kafka-inspect.js';
import { kafkaLogCreator } from './kafka-log.js';
import { openKafkaReceiver } from './kafka-receiver.js';
import { type KafkaLogLevel, type KafkaTransportOptions, resolveKafkaOptions } from './options.js';
import type { KafkaDelivery } from './partition-lanes.js';
import { assertTopicName, createTopicAdmin } from './topic-admin.js';

const LOG_LEVELS: Record<KafkaLogLevel, logLevel> = {
  nothing: logLevel.NOTHING,
  error: logLevel.ERROR,
  warn: logLevel.WARN,
  info: logLevel.INFO,
  debug: logLevel.DEBUG,
};

/**
 * A {@link Transport} over Apache Kafka (kafkajs). A topic is a Kafka topic, created on first
 * use with `partitions` partitions; a group is the consumer group `<topic>:<group>`, whose
 * offsets are committed only up to the first event not yet handled; the publish key picks the
 * partition and events of one key are handled one at a time, in order, while up to
 * `concurrency` handlers run across keys and partitions. A handler that throws is retried in
 * place with backoff, then the event goes to `<topic>.dead-letter`. Events travel as
 * CloudEvents in binary mode (`ce_` headers); publishes are batched and resolve on acks=-1.
 *
 * @example
 * ```ts
 * import { createCloudEvent } from '@playtally/transport';
 * import { createKafkaTransport } from '@playtally/transport-kafka';
 *
 * const transport = createKafkaTransport({ brokers: ['127.0.0.1:9092'] });
 * await transport.subscribe('greetings', async (event) => console.log(event.data), { group: 'printer' });
 * await transport.publish('greetings', createCloudEvent({ type: 'greeting', source: '/example', data: 'hi' }));
 * await transport.close();
 * ```
 */
export function createKafkaTransport(options: KafkaTransportOptions = {}): Transport {
  const resolved = resolveKafkaOptions(options);
  const kafka =
    options.kafka ??
    new Kafka({
      clientId: resolved.clientId,
      brokers: [...resolved.brokers],
      logLevel: LOG_LEVELS[resolved.logLevel],
      ...(options.logger ? { logCreator: kafkaLogCreator(options.logger) } : {}),
    });
  const admin = createTopicAdmin(kafka, resolved);
  const producer = createBatchingProducer(kafka, resolved, admin.partitionsOf);
  const logger = resolved.logger;

  return defineTransport<KafkaDelivery>({
    name: 'kafka',
    capabilities: { orderedByKey: true, survivesBrokerRestart: true, distributed: true },
    closeTimeoutMs: resolved.closeTimeoutMs,
    logger,
    async publish(topic, message, key) {
      await admin.ensureTopic(topic);
      await producer.send(topic, toKafkaMessage(message, key));
    },
    async ensure(topic, groups) {
      // A new group starts from the earliest retained offset, so the topic alone keeps events for
      // it; the groups are created too (by committing those offsets) so they show on the broker.
      await admin.ensureTopic(topic);
      await Promise.all(groups.map((group) => admin.ensureGroup(topic, group)));
    },
    async receive(topic, subscribeOptions, sink) {
      assertTopicName(topic);
      return openKafkaReceiver(topic, subscribeOptions, sink, {
        kafka,
        admin,
        options: resolved,
        logger,
      });
    },
    ping: () => admin.ping(),
    inspect: (topic, group, local) => inspectGroups(admin, topic, group, local),
    async close() {
      await producer.close();
      await admin.close();
    },
  });
}
