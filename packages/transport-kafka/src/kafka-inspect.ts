import { deadLetterTopic, type LocalGroups, type QueueStats } from '@playtally/transport';
import type { Admin } from 'kafkajs';
import { kafkaGroupId, type TopicAdmin } from './topic-admin.js';

/** The throwaway groups of ephemeral subscriptions: not listed. */
const EPHEMERAL = /-ephemeral-[0-9a-f-]{36}$/;

/** Records of `topic` that `groupId` has not committed yet (all retained ones without a commit). */
async function lag(admin: Admin, topic: string, groupId: string, exists: boolean): Promise<number> {
  if (!exists) return 0;
  const ends = await admin.fetchTopicOffsets(topic);
  const [committed] = await admin.fetchOffsets({ groupId, topics: [topic] });
  const at = new Map(
    committed?.partitions.map(({ partition, offset }) => [partition, Number(offset)]),
  );
  let total = 0;
  for (const { partition, high, low } of ends) {
    const offset = at.get(partition) ?? -1;
    total += Number(high) - (offset >= 0 ? offset : Number(low));
  }
  return total;
}

/**
 * `Transport.inspect` on Kafka. A group's lag (end offsets minus committed offsets) is what it
 * has not acknowledged; Kafka keeps no per-record state, so the part this process's own
 * subscriptions hold counts as in flight and the rest as ready. Consumers are the group's
 * members; dead letters the lag of the same group on the dead-letter topic. Groups are listed
 * from the broker (`<topic>:<group>`); a group the broker does not know is left out.
 */
export async function inspectGroups(
  topics: TopicAdmin,
  topic: string,
  group: string | undefined,
  local: LocalGroups,
): Promise<QueueStats[]> {
  const admin = await topics.client();
  const prefix = kafkaGroupId(topic, '');
  const names =
    group !== undefined
      ? [group]
      : (await admin.listGroups()).groups
          .map(({ groupId }) => groupId)
          .filter((id) => id.startsWith(prefix) && !EPHEMERAL.test(id))
          .map((id) => id.slice(prefix.length));
  if (names.length === 0) return [];
  // Offsets of a topic that does not exist would be retried for seconds: look first.
  const existing = new Set(await admin.listTopics());
  const { groups } = await admin.describeGroups(names.map((name) => kafkaGroupId(topic, name)));
  const stats = await Promise.all(
    names.map(async (name, index): Promise<QueueStats | undefined> => {
      const groupId = kafkaGroupId(topic, name);
      const unacknowledged = await lag(admin, topic, groupId, existing.has(topic));
      const state = groups[index]?.state;
      if ((state === 'Dead' || state === undefined) && !(await hasCommits(admin, topic, groupId)))
        return undefined;
      const inFlight = Math.min(unacknowledged, local.held(name));
      return {
        topic,
        group: name,
        ready: unacknowledged - inFlight,
        inFlight,
        consumers: groups[index]?.members.length ?? 0,
        deadLetters: await lag(
          admin,
          deadLetterTopic(topic),
          kafkaGroupId(deadLetterTopic(topic), name),
          existing.has(deadLetterTopic(topic)),
        ),
      };
    }),
  );
  return stats.filter((entry): entry is QueueStats => entry !== undefined);
}

async function hasCommits(admin: Admin, topic: string, groupId: string): Promise<boolean> {
  const [committed] = await admin.fetchOffsets({ groupId, topics: [topic] });
  return committed?.partitions.some(({ offset }) => offset !== '-1') ?? false;
}
