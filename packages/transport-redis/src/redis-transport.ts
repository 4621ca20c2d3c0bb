import { randomBytes } from 'node:crypto';
import { hostname } from 'node:os';
import {
  createDeadlines,
  deadLetterTopic,
  defineTransport,
  isDeadLetterTopic,
  type Logger,
  type Receiver,
  redactUrl,
  silentLogger,
  type Transport,
  unreachableMessage,
} from '@playtally/transport';
import { Redis } from 'ioredis';
import { BlockingReader } from './redis-blocking-reader.js';
import { createEphemeralSource } from './redis-ephemeral-source.js';
import { encodeStreamFields } from './redis-fields.js';
import { createGroupSource } from './redis-group-source.js';
import { inspectStreams } from './redis-inspect.js';
import { closeConnection, createGroup, type StreamEntry } from './redis-reply.js';

/** Options of {@link createRedisTransport}. */
export interface RedisTransportOptions {
  /** Server URL, `redis://[:password@]host:6379[/db]` or `rediss://…`. @default 'redis://127.0.0.1:6379' */
  url?: string;
  /**
   * A client the application already owns. The transport sends its commands through it (and
   * does not close it) and opens one duplicate per subscription for blocking reads.
   */
  client?: Redis;
  /** Prepended to every stream key. @default '' */
  keyPrefix?: string;
  /**
   * Approximate length (`XADD … MAXLEN ~`) each stream is trimmed to. Entries a lagging group
   * has not read yet are trimmed too, so keep it well above any backlog. `Infinity` never trims.
   * @default 1000000
   */
  maxLen?: number;
  /**
   * Entries pending this long with a consumer that stopped acknowledging (crashed, partitioned)
   * are claimed by another consumer of the group. Handlers' own entries are kept fresh while
   * they run, so long handlers are safe. @default 30000
   */
  claimIdleMs?: number;
  /** Longest a blocking read waits before the loop looks around again. @default 2000 */
  blockMs?: number;
  /** How long `close()` waits for in-flight handlers and publishes. @default 10000 */
  closeTimeoutMs?: number;
  /** How long `publish`, `ensure` and `subscribe` wait through an outage before rejecting. @default 30000 */
  publishTimeoutMs?: number;
  /**
   * Declare that nothing confirmed is lost when the server restarts: true only when Redis
   * persists every write before it answers (`appendonly yes` with `appendfsync always`);
   * `everysec` can lose the last second of confirmed publishes. @default false
   */
  survivesBrokerRestart?: boolean;
  /** Receives reconnects, dead letters and settle failures. @default silentLogger */
  logger?: Logger;
}

/**
 * A {@link Transport} over Redis Streams. A topic is a stream; a group is a consumer group read
 * with XREADGROUP and acknowledged with XACK; entries a dead consumer left pending are claimed
 * with XAUTOCLAIM; the attempt number comes from the pending list's delivery count. Dead
 * letters go to the stream `<topic>.dead-letter` (every group subscribed to a topic also gets a
 * group there). Ephemeral subscriptions read with XREAD and create nothing on the server.
 * Streams are trimmed with `MAXLEN ~`. ioredis reconnects by itself; blocked reads resume and
 * groups lost with the server's data are re-created. Declares `survivesBrokerRestart` only when
 * told the server persists before answering (see {@link RedisTransportOptions}).
 *
 * @example
 * ```ts
 * import { createCloudEvent } from '@playtally/transport';
 * import { createRedisTransport } from '@playtally/transport-redis';
 * const transport = createRedisTransport({ url: 'redis://127.0.0.1:6379' });
 * await transport.subscribe('greetings', async (event) => console.log(event.data), { group: 'printer' });
 * await transport.publish('greetings', createCloudEvent({ type: 'greeting', source: '/example', data: 'hi' }));
 * await transport.close();
 * ```
 */
export function createRedisTransport(options: RedisTransportOptions = {}): Transport {
  const url = options.url ?? 'redis://127.0.0.1:6379';
  const keyPrefix = options.keyPrefix ?? '';
  const maxLen = options.maxLen ?? 1_000_000;
  const trim = Number.isFinite(maxLen) ? ['MAXLEN', '~', String(maxLen)] : [];
  const claimIdleMs = options.claimIdleMs ?? 30_000;
  const blockMs = options.blockMs ?? 2000;
  const publishTimeoutMs = options.publishTimeoutMs ?? 30_000;
  const logger = options.logger ?? silentLogger;
  const commands =
    options.client ??
    new Redis(url, {
      enableAutoPipelining: true,
      maxRetriesPerRequest: null,
      connectionName: 'playtally',
    });
  /** Why the connection last failed, for the message of an operation that times out meanwhile. */
  let connectionError: unknown;
  if (options.client === undefined) {
    commands.on('error', (error: unknown) => {
      connectionError = error;
      logger.warn({ err: error, url: redactUrl(url) }, 'redis: connection error');
    });
    commands.on('ready', () => {
      connectionError = undefined;
    });
  }
  const deadlines = createDeadlines();
  const streamKey = (topic: string) => keyPrefix + topic;
  const timedOut = () =>
    new Error(unreachableMessage('Redis', url, connectionError, publishTimeoutMs));

  async function ensureGroup(topic: string, group: string): Promise<void> {
    await createGroup(commands, streamKey(topic), group, '$');
    if (!isDeadLetterTopic(topic))
      await createGroup(commands, streamKey(deadLetterTopic(topic)), group, '$');
  }

  async function receive(topic: string, group: string | undefined): Promise<Receiver<StreamEntry>> {
    const connection = commands.duplicate({
      enableAutoPipelining: false,
      maxRetriesPerRequest: null,
    });
    connection.on('error', (error: unknown) =>
      logger.warn({ err: error, topic }, 'redis: reader connection error'),
    );
    try {
      const reader = await BlockingReader.open(connection, commands);
      if (group === undefined)
        return await createEphemeralSource(reader, streamKey(topic), blockMs);
      await ensureGroup(topic, group);
      return createGroupSource({
        commands,
        reader,
        warn: (error, message) => logger.warn({ err: error, topic, group }, message),
        stream: streamKey(topic),
        group,
        consumer: `${hostname()}-${process.pid}-${randomBytes(3).toString('hex')}`,
        blockMs,
        claimIdleMs,
      });
    } catch (error) {
      await closeConnection(connection);
      throw error;
    }
  }

  return defineTransport<StreamEntry>({
    name: 'redis',
    capabilities: {
      orderedByKey: true,
      survivesBrokerRestart: options.survivesBrokerRestart ?? false,
      distributed: true,
    },
    closeTimeoutMs: options.closeTimeoutMs ?? 10_000,
    openTimeoutMs: publishTimeoutMs,
    logger,
    publish(topic, message, key) {
      const fields = encodeStreamFields(message, key);
      return deadlines.race(
        commands.call('XADD', streamKey(topic), ...trim, '*', ...fields),
        publishTimeoutMs,
        timedOut,
      );
    },
    async ensure(topic, groups) {
      await deadlines.race(
        Promise.all(groups.map((group) => ensureGroup(topic, group))),
        publishTimeoutMs,
        timedOut,
      );
    },
    receive: (topic, subscribeOptions) => receive(topic, subscribeOptions.group),
    async ping() {
      await deadlines.race(
        commands.ping(),
        5000,
        () => new Error('no answer to PING within 5000 ms'),
      );
    },
    inspect: (topic, group) => inspectStreams(commands, keyPrefix, topic, group),
    async close() {
      if (options.client === undefined) await closeConnection(commands);
    },
  });
}
