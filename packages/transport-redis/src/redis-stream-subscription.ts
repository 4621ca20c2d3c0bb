import {
  createDeadLetter,
  createInFlightTracker,
  type EncodedCloudEvent,
  type EventHandler,
  type Logger,
  processDelivery,
  type ResolvedSubscribeOptions,
  type Subscription,
  sleepUnlessAborted,
} from '@playtally/transport';
import { decodeStreamFields } from './redis-fields.js';

/** One stream entry handed to a subscription. */
export interface StreamEntry {
  readonly id: string;
  readonly fields: readonly Buffer[];
  /** Delivery number of this hand-out (from the pending list for reclaimed entries). */
  readonly attempt: number;
}

/** Where a subscription's entries come from: a consumer group, or a plain XREAD cursor. */
export interface StreamSource {
  /** Waits (at most the block time) for up to `count` entries; `[]` when none came. */
  read(count: number): Promise<StreamEntry[]>;
  /** Makes a pending `read` return at once. */
  interrupt(): Promise<void>;
  /**
   * Before redelivery number `attempt`: whether the entry is still this consumer's; a group
   * also records the delivery in its pending list.
   */
  reclaim(entry: StreamEntry, attempt: number): Promise<boolean>;
  /**
   * After the handler succeeded or the entry was dead-lettered. Queues the acknowledgement
   * (sources batch them); `close` writes what is queued. A lost acknowledgement only means a
   * redelivery, so failures are logged by the source, not reported here.
   */
  acknowledge(entry: StreamEntry): void;
  /** Repairs what a failed `read` reveals (a group lost with the server's data); true if fixed. */
  recover(error: unknown): Promise<boolean>;
  /** Keeps in-flight entries from being reclaimed by others, every `heartbeatMs`. */
  heartbeat?(ids: readonly string[]): Promise<void>;
  readonly heartbeatMs?: number;
  /** Releases the source's connection, after writing queued acknowledgements. */
  close(): Promise<void>;
}

/** What a stream subscription needs from its transport. */
export interface StreamSubscriptionInit {
  readonly topic: string;
  readonly options: ResolvedSubscribeOptions;
  readonly handler: EventHandler<never>;
  readonly source: StreamSource;
  readonly closeTimeoutMs: number;
  readonly publishDeadLetter: (
    topic: string,
    deadLetter: EncodedCloudEvent,
    key: string | undefined,
  ) => Promise<void>;
  readonly logger: Logger;
  readonly onClosed: () => void;
}

/**
 * Runs a subscription over a {@link StreamSource}: keeps up to twice `concurrency` entries read
 * (running plus read ahead), runs at most `concurrency` handlers, retries failures in place after the backoff (reclaiming the
 * entry so the pending list counts the delivery), dead-letters exhausted or undecodable entries
 * and acknowledges only after the handler or the dead letter succeeded.
 */
export function runStreamSubscription(init: StreamSubscriptionInit): Subscription {
  const { topic, options, source, logger } = init;
  const inFlight = createInFlightTracker();
  const handlerAbort = new AbortController();
  const closingAbort = new AbortController();
  const handling = new Set<string>();
  /** Entries read but not started yet: reading the next batch overlaps running this one. */
  const buffered: StreamEntry[] = [];
  const readAhead = options.concurrency * 2;
  let wakeLoop: (() => void) | undefined;
  let closing: Promise<void> | undefined;

  async function loop(): Promise<void> {
    let failures = 0;
    while (closing === undefined) {
      const room = readAhead - handling.size - buffered.length;
      // Read in large batches: wait until a good share of the room is free again.
      if (room < Math.max(1, Math.floor(options.concurrency / 2))) {
        await new Promise<void>((resolve) => {
          wakeLoop = resolve;
        });
        continue;
      }
      try {
        buffered.push(...(await source.read(room)));
        failures = 0;
        void pump();
      } catch (error) {
        if (closing !== undefined) break;
        if (await source.recover(error).catch(() => false)) continue;
        failures += 1;
        logger.warn(
          { err: error, topic, group: options.group },
          'redis: reading the stream failed, retrying',
        );
        await pause(Math.min(5000, 100 * 2 ** failures));
      }
    }
  }

  let pumping = false;

  /**
   * Starts buffered entries while handler slots are free. Runs on while closing too: entries
   * already read are this consumer's, and handing them over would take `claimIdleMs`.
   *
   * Yields after each start, so an entry whose handler settles at once is done before the next
   * is decoded: the handlers in flight only grow towards `concurrency` while they actually wait.
   * (Starting hundreds of fast handlers at once keeps all their decoded events alive together,
   * which the young-generation collector pays for.)
   */
  async function pump(): Promise<void> {
    if (pumping) return;
    pumping = true;
    try {
      while (
        handling.size < options.concurrency &&
        buffered.length > 0 &&
        !handlerAbort.signal.aborted
      ) {
        start(buffered.shift() as StreamEntry);
        await undefined;
      }
    } finally {
      pumping = false;
    }
  }

  function start(entry: StreamEntry): void {
    handling.add(entry.id);
    void inFlight.track(
      handle(entry).finally(() => {
        handling.delete(entry.id);
        void pump();
        wakeLoop?.();
        wakeLoop = undefined;
      }),
    );
  }

  async function handle(entry: StreamEntry): Promise<void> {
    const { message, key } = decodeStreamFields(entry.fields);
    try {
      if (entry.attempt > options.maxAttempts) {
        const reason = `delivered ${entry.attempt - 1} times without being acknowledged (consumers stopped or crashed)`;
        const deadLetter = createDeadLetter({
          ...message,
          reason,
          group: options.group,
          attempts: entry.attempt - 1,
        });
        await init.publishDeadLetter(topic, deadLetter, key);
        source.acknowledge(entry);
        return;
      }
      for (let attempt = entry.attempt; ; attempt += 1) {
        const outcome = await processDelivery({
          topic,
          key,
          attempt,
          message,
          options,
          signal: handlerAbort.signal,
          handler: init.handler,
        });
        if (outcome.kind === 'retry') {
          // Closing mid-backoff leaves the entry pending: another consumer reclaims it.
          if (!(await pause(outcome.delayMs)) || !(await source.reclaim(entry, attempt + 1)))
            return;
          continue;
        }
        if (outcome.kind === 'dead-letter') {
          logger.warn(
            { err: outcome.error, topic, group: options.group },
            'redis: dead-lettering an entry',
          );
          await init.publishDeadLetter(topic, outcome.deadLetter, key);
        }
        source.acknowledge(entry);
        return;
      }
    } catch (error) {
      logger.warn(
        { err: error, topic, id: entry.id },
        'redis: could not settle an entry; it stays pending',
      );
    }
  }

  /** Waits `ms`; resolves false at once if the subscription starts closing. */
  const pause = (ms: number): Promise<boolean> => sleepUnlessAborted(ms, closingAbort.signal);

  const heartbeat =
    source.heartbeat === undefined || source.heartbeatMs === undefined
      ? undefined
      : setInterval(() => {
          const held = [...handling, ...buffered.map((entry) => entry.id)];
          if (held.length > 0) void source.heartbeat?.(held).catch(() => {});
        }, source.heartbeatMs);
  heartbeat?.unref();

  async function close(): Promise<void> {
    closingAbort.abort();
    wakeLoop?.();
    await source.interrupt().catch(() => {});
    await running;
    if (!(await inFlight.drain(init.closeTimeoutMs))) {
      handlerAbort.abort(new Error(`subscription to ${topic} closed before its handler finished`));
    }
    clearInterval(heartbeat);
    await source.close();
    init.onClosed();
  }

  const running = loop();
  return {
    topic,
    group: options.group,
    close() {
      closing ??= close();
      return closing;
    },
  };
}
