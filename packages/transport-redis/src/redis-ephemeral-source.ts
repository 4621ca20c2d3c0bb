import type { BlockingReader } from './redis-blocking-reader.js';
import { parseEntries } from './redis-reply.js';
import type { StreamSource } from './redis-stream-subscription.js';

/**
 * Reads a stream without a consumer group, from the last entry that existed when the
 * subscription started: XREAD keeps its cursor in this process, so nothing is created on the
 * server and nothing is left behind on close. Retries happen in process only.
 */
export async function createEphemeralSource(
  reader: BlockingReader,
  stream: string,
  blockMs: number,
): Promise<StreamSource> {
  const last = (await reader.call('XREVRANGE', stream, '+', '-', 'COUNT', 1)) as [
    string,
    unknown,
  ][];
  let cursor = last[0]?.[0] ?? '0-0';
  return {
    async read(count) {
      const entries = parseEntries(
        await reader.read('XREAD', 'COUNT', count, 'BLOCK', blockMs, 'STREAMS', stream, cursor),
        1,
      );
      const newest = entries.at(-1);
      if (newest !== undefined) cursor = newest.id;
      return entries;
    },
    interrupt: () => reader.interrupt(),
    reclaim: async () => true,
    acknowledge: () => {},
    recover: async () => false,
    close: () => reader.close(),
  };
}
