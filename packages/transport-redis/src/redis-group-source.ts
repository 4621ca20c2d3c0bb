import type { Redis } from 'ioredis';
import type { BlockingReader } from './redis-blocking-reader.js';
import { createGroup, isRedisError, parseEntries } from './redis-reply.js';
import type { StreamEntry, StreamSource } from './redis-stream-subscription.js';

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
  /** Told when a batch of acknowledgements could not be written. */
  readonly onAcknowledgeError: (error: unknown) => void;
}

/**
 * Reads a consumer group: new entries with XREADGROUP `>` and, every half `claimIdleMs`,
 * entries other consumers left pending for longer than `claimIdleMs` with XAUTOCLAIM (their
 * delivery count, read from XPENDING, is the attempt). Acknowledgements are batched into one
 * XACK per tick. A group lost with the server's data is re-created from the stream's start.
 */
export function createGroupSource(init: GroupSourceInit): StreamSource {
  const { commands, reader, stream, group, consumer } = init;
  const claimEveryMs = Math.max(100, Math.min(10_000, Math.floor(init.claimIdleMs / 2)));
  const blockMs = Math.max(1, Math.min(init.blockMs, claimEveryMs));
  let nextClaimAt = 0;
  let claimCursor = '0-0';
  let acks: { ids: string[]; done: Promise<void> } | undefined;

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
    )) as [Buffer, unknown, unknown];
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

  /** Acknowledges everything queued in this tick with one XACK. */
  function queueAck(id: string): void {
    if (acks === undefined) {
      const batch = { ids: [id], done: Promise.resolve() };
      acks = batch;
      batch.done = new Promise<void>((resolve) => setImmediate(resolve)).then(async () => {
        acks = undefined;
        await commands.call('XACK', stream, group, ...batch.ids).catch(init.onAcknowledgeError);
      });
    } else {
      acks.ids.push(id);
    }
  }

  return {
    heartbeatMs: Math.max(100, Math.floor(init.claimIdleMs / 3)),

    async read(count) {
      if (Date.now() >= nextClaimAt) {
        nextClaimAt = Date.now() + claimEveryMs;
        const claimed = await claimAbandoned(count);
        if (claimed.length > 0) return claimed;
      }
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
    },

    interrupt: () => reader.interrupt(),

    async reclaim(entry, attempt) {
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
      return reply.length > 0;
    },

    acknowledge(entry) {
      queueAck(entry.id);
    },

    async recover(error) {
      if (!isRedisError(error, 'NOGROUP')) return false;
      await createGroup(commands, stream, group, '0');
      return true;
    },

    async heartbeat(ids) {
      await commands.call('XCLAIM', stream, group, consumer, 0, ...ids, 'JUSTID');
    },

    async close() {
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
      } catch {
        // The consumer stays listed; harmless, and it holds nothing.
      }
      await reader.close();
    },
  };
}
