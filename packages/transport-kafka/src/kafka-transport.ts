import {
  type CloudEvent,
  type EventHandler,
  encodeCloudEvent,
  PlaytallyError,
  type PublishOptions,
  resolveSubscribeOptions,
  type SubscribeOptions,
  type Subscription,
  type Transport,
} from '@playtally/transport';
import { Kafka, logLevel } from 'kafkajs';
import { createBatchingProducer } from './batching-producer.js';
import { toKafkaMessage } from './headers-codec.js';
import { kafkaLogCreator } from './kafka-log.js';
import { createKafkaSubscription, type StartingSubscription } from './kafka-subscription.js';
import { type KafkaLogLevel, type KafkaTransportOptions, resolveKafkaOptions } from './options.js';
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
  const subscriptions = new Set<StartingSubscription>();
  let closing: Promise<void> | undefined;

  const assertOpen = (action: string): void => {
    if (closing)
      throw new PlaytallyError('TRANSPORT_CLOSED', `kafka transport: closed, cannot ${action}`);
  };

  const send = async (topic: string, event: CloudEvent, key: string | undefined): Promise<void> => {
    await admin.ensureTopic(topic);
    await producer.send(topic, toKafkaMessage(encodeCloudEvent(event), key));
  };

  return {
    name: 'kafka',
    capabilities: { orderedByKey: true, survivesBrokerRestart: true, distributed: true },

    async publish(
      topic: string,
      event: CloudEvent,
      publishOptions?: PublishOptions,
    ): Promise<void> {
      assertOpen(`publish to "${topic}"`);
      await send(topic, event, publishOptions?.key);
    },

    async ensure(topic: string, groups: readonly string[]): Promise<void> {
      assertOpen(`ensure "${topic}"`);
      for (const group of groups) {
        if (group === '')
          throw new PlaytallyError('INVALID_INPUT', 'kafka transport: group must not be empty');
      }
      // A new group starts from the earliest retained offset, so the topic alone keeps events for
      // it; the groups are created too (by committing those offsets) so they show on the broker.
      await admin.ensureTopic(topic);
      await Promise.all(groups.map((group) => admin.ensureGroup(topic, group)));
    },

    async subscribe<T>(
      topic: string,
      handler: EventHandler<T>,
      subscribeOptions?: SubscribeOptions,
    ) {
      assertOpen(`subscribe to "${topic}"`);
      assertTopicName(topic);
      const starting: StartingSubscription = createKafkaSubscription(
        topic,
        handler as EventHandler<never>,
        resolveSubscribeOptions(subscribeOptions),
        {
          kafka,
          admin,
          options: resolved,
          publishDeadLetter: async (deadLetterTopic, deadLetter, key) => {
            await admin.ensureTopic(deadLetterTopic);
            await producer.send(deadLetterTopic, toKafkaMessage(deadLetter, key));
          },
          onClosed: () => subscriptions.delete(starting),
        },
      );
      subscriptions.add(starting);
      try {
        await starting.start();
      } catch (error) {
        await starting.subscription.close();
        throw error;
      }
      return starting.subscription satisfies Subscription;
    },

    ping: () => admin.ping(),

    close(): Promise<void> {
      closing ??= (async () => {
        await Promise.all([...subscriptions].map((s) => s.subscription.close()));
        await producer.close();
        await admin.close();
      })();
      return closing;
    },
  };
}
