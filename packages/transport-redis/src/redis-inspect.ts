import { deadLetterTopic, type QueueStats } from '@playtally/transport';
import type { Redis } from 'ioredis';
import { isRedisError } from './redis-reply.js';

/** One consumer group as `XINFO GROUPS` describes it. */
interface GroupInfo {
  readonly consumers: number;
  readonly pending: number;
  readonly lag: number;
}

/** The groups of a stream by name; none for a stream that does not exist. */
async function groupsOf(redis: Redis, stream: string): Promise<Map<string, GroupInfo>> {
  let reply: unknown[][];
  try {
    reply = (await redis.call('XINFO', 'GROUPS', stream)) as unknown[][];
  } catch (error) {
    if (isRedisError(error, 'ERR no such key')) return new Map();
    throw error;
  }
  const groups = new Map<string, GroupInfo>();
  for (const fields of reply) {
    const info = new Map<string, unknown>();
    for (let i = 0; i + 1 < fields.length; i += 2) info.set(String(fields[i]), fields[i + 1]);
    groups.set(String(info.get('name')), {
      consumers: Number(info.get('consumers') ?? 0),
      pending: Number(info.get('pending') ?? 0),
      // Redis 7 reports the entries the group has not read yet; null where it cannot tell.
      lag: Number(info.get('lag') ?? 0),
    });
  }
  return groups;
}

/**
 * `Transport.inspect` on Redis Streams, from `XINFO GROUPS` of the topic's stream and of its
 * dead-letter stream: ready is the group's lag (entries not yet read by it), in flight its
 * pending list (read, not acknowledged), dead letters the lag and pending entries of the same
 * group on the dead-letter stream.
 */
export async function inspectStreams(
  redis: Redis,
  keyPrefix: string,
  topic: string,
  group: string | undefined,
): Promise<QueueStats[]> {
  const [groups, deadLetters] = await Promise.all([
    groupsOf(redis, keyPrefix + topic),
    groupsOf(redis, keyPrefix + deadLetterTopic(topic)),
  ]);
  return [...groups]
    .filter(([name]) => group === undefined || name === group)
    .map(([name, info]) => {
      const dead = deadLetters.get(name);
      return {
        topic,
        group: name,
        ready: info.lag,
        inFlight: info.pending,
        consumers: info.consumers,
        deadLetters: dead === undefined ? 0 : dead.lag + dead.pending,
      };
    });
}
