import type { Receiver } from '@playtally/transport';
import type { Redis } from 'ioredis';
import type { BlockingReader } from './redis-blocking-reader.js';
import { createGroup, isRedisError, parseEntries, type StreamEntry } from './redis-reply.js';

/** What a consumer-group source reads from and how. */
export interface GroupSourceInit {
  /** Shared connection for non-blocking commands (auto-pipelined). */
  readonly commands: Redis;
  /** This subscription's own connection: XREADGROUP blocks it. */
  readonly reader: BlockingReader;
  readonly stream: string;
  readonly group: string;
  readonly consumer: string;
  readonly blockMs: number;
  readonly claimIdleMs: number;
  /** Logs what failed in the background (acknowledgements, heartbeats, leaving the group). */
  readonly warn: (error: unknown, message: string) => void;
}

/**
 * Reads a consumer group: new entries with XREADGROUP `>` and, every half `claimIdleMs`,
 * entries other consumers left pending for longer than `claimIdleMs` with XAUTOCLAIM (their
 * delivery count, read from XPENDING, is the attempt). Acknowledgements are batched into one
 * XACK per tick; entries held are kept fresh (XCLAIM JUSTID) every third of `claimIdleMs`, so a
 * long handler's entry is not taken by another consumer. A group lost with the server's data is
 * re-created from the stream's start. Entries read stay this consumer's until acknowledged, so
 * closing still handles them (`onClose: 'handle'`).
 */
export function createGroupSource(init: GroupSourceInit): Receiver<StreamEntry> {
  const { commands, reader, stream, group, consumer } = init;
  const claimEveryMs = Math.max(100, Math.min(10_000, Math.floor(init.claimIdleMs / 2)));
  const blockMs = Math.max(1, Math.min(init.blockMs, claimEveryMs));
  const held = new Set<string>();
  let nextClaimAt = 0;
  let claimCursor = '0-0';
  let acks: { ids: string[]; done: Promise<void> } | undefined;

  const heartbeat = setInterval(
    () => {
      if (held.size > 0)
        void commands
          .call('XCLAIM', stream, group, consumer, 0, ...held, 'JUSTID')
          .catch((error: unknown) => init.warn(error, 'redis: keeping held entries fresh failed'));
    },
    Math.max(100, Math.floor(init.claimIdleMs / 3)),
  );
  heartbeat.unref();

  async function claimAbandoned(count: number): Promise<StreamEntry[]> {
    // On the reader, which is idle here: ioredis drops the command name of `callBuffer` when
    // auto-pipelining (as the shared connection does), and claimed payloads need Buffer replies.
    const reply = (await reader.read(
      'XAUTOCLAIM',
      stream,
      group,
      consumer,
      init.claimIdleMs,
      claimCursor,
      'COUNT',
      count,
    )) as [Buffer, unknown];
    claimCursor = reply[0].toString();
    const claimed = parseEntries(reply[1], 0, false);
    return Promise.all(
      claimed.map(async (entry) => {
        const pending = (await commands.call('XPENDING', stream, group, entry.id, entry.id, 1)) as [
          [string, string, number, number]?,
        ];
        return { ...entry, attempt: Number(pending[0]?.[3] ?? 2) };
      }),
    );
  }

  async function readNew(count: number): Promise<StreamEntry[]> {
    try {
      const reply = await reader.read(
        'XREADGROUP',
        'GROUP',
        group,
        consumer,
        'COUNT',
        count,
        'BLOCK',
        blockMs,
        'STREAMS',
        stream,
        '>',
      );
      return parseEntries(reply, 1);
    } catch (error) {
      if (!isRedisError(error, 'NOGROUP')) throw error;
      await createGroup(commands, stream, group, '0');
      return [];
    }
  }

  return {
    onClose: 'handle',

    async read(count) {
      let entries: StreamEntry[] = [];
      if (Date.now() >= nextClaimAt) {
        nextClaimAt = Date.now() + claimEveryMs;
        entries = await claimAbandoned(count);
      }
      if (entries.length === 0) entries = await readNew(count);
      for (const entry of entries) held.add(entry.id);
      return entries;
    },

    stop: () => reader.interrupt(),

    ack(entry) {
      held.delete(entry.id);
      if (acks !== undefined) {
        acks.ids.push(entry.id);
        return;
      }
      const batch = { ids: [entry.id], done: Promise.resolve() };
      acks = batch;
      batch.done = new Promise<void>((resolve) => setImmediate(resolve)).then(async () => {
        acks = undefined;
        await commands
          .call('XACK', stream, group, ...batch.ids)
          .catch((error: unknown) =>
            init.warn(error, 'redis: XACK failed; the entries stay pending'),
          );
      });
    },

    async retry(entry, attempt) {
      // JUSTID alone would leave the delivery count as it is: set it to this delivery's number.
      const reply = (await commands.call(
        'XCLAIM',
        stream,
        group,
        consumer,
        0,
        entry.id,
        'RETRYCOUNT',
        attempt,
        'JUSTID',
      )) as unknown[];
      if (reply.length === 0) held.delete(entry.id);
      return reply.length > 0;
    },

    async close() {
      clearInterval(heartbeat);
      await acks?.done;
      try {
        const mine = (await commands.call(
          'XPENDING',
          stream,
          group,
          '-',
          '+',
          1,
          consumer,
        )) as unknown[];
        if (mine.length === 0)
          await commands.call('XGROUP', 'DELCONSUMER', stream, group, consumer);
      } catch (error) {
        init.warn(error, 'redis: leaving the group failed; the consumer stays listed');
      }
      await reader.close();
    },
  };
}
