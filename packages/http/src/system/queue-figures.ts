import { type DeadLetterStore, deadLetterSources, type TopicNames } from '@playtally/service';
import type { QueueStats, Transport } from '@playtally/transport';

/**
 * The figures of `GET /v1/queues`: `Transport.inspect` of each topic the service consumes in
 * its group, with the dead letters recorded for that topic and group (pending) added to those
 * the broker still holds.
 */
export async function queueFigures(
  transport: Transport,
  deadLetters: DeadLetterStore,
  topics: TopicNames,
): Promise<QueueStats[]> {
  const [pending, ...inspected] = await Promise.all([
    deadLetters.countPending(),
    ...deadLetterSources(topics).map(({ topic, group }) => transport.inspect(topic, group)),
  ]);
  const recorded = (topic: string, group: string) =>
    pending
      .filter((count) => count.topic === topic && count.group === group)
      .reduce((sum, count) => sum + count.count, 0);
  return inspected.flat().map((stats) => ({
    ...stats,
    deadLetters: stats.deadLetters + recorded(stats.topic, stats.group),
  }));
}
