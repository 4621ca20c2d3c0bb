import { deadLetterTopic, isDeadLetterTopic, type QueueStats } from '@playtally/transport';
import type { ChannelModel } from 'amqplib';
import { groupQueueName } from './amqp-topology.js';

/**
 * `Transport.inspect` on RabbitMQ, from passive queue declares (`checkQueue`) on a channel of
 * its own (a missing queue closes the channel it was checked on): ready is the group queue's
 * message count, consumers its consumer count, dead letters the message count of the group's
 * dead-letter queue. The declare does not count unacknowledged messages, so in flight is what
 * this process holds unacknowledged (`held`). A group whose queue does not exist is left out.
 */
export async function inspectQueues(
  model: ChannelModel,
  topic: string,
  groups: readonly string[],
  held: (group: string) => number,
): Promise<QueueStats[]> {
  const stats: QueueStats[] = [];
  for (const group of groups) {
    const channel = await model.createChannel();
    channel.on('error', () => {}); // a missing queue: reported by the rejected checkQueue below
    try {
      const queue = await channel.checkQueue(groupQueueName(topic, group));
      const dead = isDeadLetterTopic(topic)
        ? undefined
        : await channel.checkQueue(groupQueueName(deadLetterTopic(topic), group));
      const { messageCount: ready, consumerCount: consumers } = queue;
      const deadLetters = dead?.messageCount ?? 0;
      stats.push({ topic, group, ready, inFlight: held(group), consumers, deadLetters });
      await channel.close();
    } catch (error) {
      if ((error as { code?: unknown }).code !== 404) throw error;
    }
  }
  return stats;
}
