import { deadLetterTopic, isDeadLetterTopic } from '@playtally/transport';
import type { Channel } from 'amqplib';

/**
 * The durable queue of `group` on `topic`: `<topic>.<group>` (the Spring Cloud Stream
 * convention), so `rabbitmqctl list_queues` reads like the application's configuration.
 */
export function groupQueueName(topic: string, group: string): string {
  return `${topic}.${group}`;
}

/** Declares the topic's exchange: durable, `fanout` (every bound group queue gets every message). */
export async function declareTopic(channel: Channel, topic: string): Promise<void> {
  await channel.assertExchange(topic, 'fanout', { durable: true });
}

/**
 * Declares a group's durable queue bound to the topic's exchange, and the group's dead-letter
 * queue (`<topic>.dead-letter.<group>`, bound to the `<topic>.dead-letter` exchange) so that its
 * dead letters are kept until read. Returns the group queue's name.
 */
export async function declareGroup(channel: Channel, topic: string, group: string) {
  const queue = await declareBoundQueue(channel, topic, group);
  if (!isDeadLetterTopic(topic)) await declareBoundQueue(channel, deadLetterTopic(topic), group);
  return queue;
}

/**
 * Declares an ephemeral subscription's queue: server-named (`amq.gen-…`), exclusive to this
 * connection (so the broker deletes it if the process dies) and bound to the topic's exchange.
 */
export async function declareEphemeral(channel: Channel, topic: string): Promise<string> {
  await declareTopic(channel, topic);
  const ephemeral = { exclusive: true, durable: false, autoDelete: false };
  const { queue } = await channel.assertQueue('', ephemeral);
  await channel.bindQueue(queue, topic, '');
  return queue;
}

async function declareBoundQueue(channel: Channel, topic: string, group: string): Promise<string> {
  await declareTopic(channel, topic);
  const queue = groupQueueName(topic, group);
  await channel.assertQueue(queue, { durable: true });
  await channel.bindQueue(queue, topic, '');
  return queue;
}
