import type { Receiver } from '@playtally/transport';
import type { BlockingReader } from './redis-blocking-reader.js';
import { parseEntries, type StreamEntry } from './redis-reply.js';

/**
 * Reads a stream without a consumer group, from the last entry that existed when the
 * subscription started: XREAD keeps its cursor in this process, so nothing is created on the
 * server and nothing is left behind on close. Retries happen in place, in process only.
 */
export async function createEphemeralSource(
  reader: BlockingReader,
  stream: string,
  blockMs: number,
): Promise<Receiver<StreamEntry>> {
  const last = (await reader.call('XREVRANGE', stream, '+', '-', 'COUNT', 1)) as [
    string,
    unknown,
  ][];
  let cursor = last[0]?.[0] ?? '0-0';
  return {
    async read(count) {
      const reply = await reader.read(
        'XREAD',
        'COUNT',
        count,
        'BLOCK',
        blockMs,
        'STREAMS',
        stream,
        cursor,
      );
      const entries = parseEntries(reply, 1);
      cursor = entries.at(-1)?.id ?? cursor;
      return entries;
    },
    stop: () => reader.interrupt(),
    ack: () => {},
    close: () => reader.close(),
  };
}
