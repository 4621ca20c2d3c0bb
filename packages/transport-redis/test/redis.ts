import { deadLetterTopic, type EncodedCloudEvent } from '@playtally/transport';
import { Redis } from 'ioredis';
import { encodeStreamFields } from '../src/index.js';

/** The server the tests use. */
export const REDIS_URL = process.env.REDIS_URL ?? 'redis://127.0.0.1:6379';

async function withClient<T>(url: string, work: (redis: Redis) => Promise<T>): Promise<T> {
  const redis = new Redis(url, { maxRetriesPerRequest: 1 });
  try {
    return await work(redis);
  } finally {
    redis.disconnect();
  }
}

/** Adds an entry exactly as given, as a foreign producer would. */
export function publishRaw(
  topic: string,
  attributes: Readonly<Record<string, string>>,
  body: Uint8Array,
) {
  return withClient(REDIS_URL, async (redis) => {
    await redis.call(
      'XADD',
      topic,
      '*',
      ...encodeStreamFields({ attributes, body } satisfies EncodedCloudEvent, undefined),
    );
  });
}

/** Consumer groups of the topic's stream and its dead-letter stream, as `stream/group`. */
export function consumerGroups(topic: string, url = REDIS_URL): Promise<string[]> {
  return withClient(url, async (redis) => {
    const groups: string[] = [];
    for (const stream of [topic, deadLetterTopic(topic)]) {
      if ((await redis.exists(stream)) === 0) continue;
      const info = (await redis.call('XINFO', 'GROUPS', stream)) as unknown[][];
      for (const group of info) groups.push(`${stream}/${String(group[1])}`);
    }
    return groups;
  });
}

/** Deletes the streams of `topics` and their dead-letter topics (their groups go with them). */
export function deleteStreams(topics: readonly string[], url = REDIS_URL): Promise<void> {
  return withClient(url, async (redis) => {
    const keys = topics.flatMap((topic) => [topic, deadLetterTopic(topic)]);
    if (keys.length > 0) await redis.del(...keys);
  });
}
