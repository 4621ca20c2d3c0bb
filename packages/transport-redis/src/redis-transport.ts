import { randomBytes } from 'node:crypto';
import { hostname } from 'node:os';
import {
  assertTransportOpen,
  type CloudEvent,
  type CloudEventParts,
  createInFlightTracker,
  deadLetterTopic,
  describeConnectionError,
  type EventHandler,
  encodeCloudEventParts,
  type Logger,
  PlaytallyError,
  type PublishOptions,
  redactUrl,
  resolveSubscribeOptions,
  type SubscribeOptions,
  type Subscription,
  silentLogger,
  type Transport,
  type TransportCapabilities,
} from '@playtally/transport';
import { Redis } from 'ioredis';
import { createDeadlines } from './deadlines.js';
import { BlockingReader } from './redis-blocking-reader.js';
import { createEphemeralSource } from './redis-ephemeral-source.js';
import { encodeStreamFields } from './redis-fields.js';
import { createGroupSource } from './redis-group-source.js';
import { closeConnection, createGroup, withTimeout } from './redis-reply.js';
import { runStreamSubscription, type StreamSource } from './redis-stream-subscription.js';

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
  /** Receives reconnects, dead letters and settle failures. @default silentLogger */
  logger?: Logger;
}

const ignore = (): void => {};

const CAPABILITIES: TransportCapabilities = {
  orderedByKey: true,
  survivesBrokerRestart: true,
  distributed: true,
};

/**
 * A {@link Transport} over Redis Streams. A topic is a stream; a group is a consumer group read
 * with XREADGROUP and acknowledged with XACK; entries a dead consumer left pending are claimed
 * with XAUTOCLAIM; the attempt number comes from the pending list's delivery count. Dead
 * letters go to the stream `<topic>.dead-letter` (every group subscribed to a topic also gets a
 * group there). Ephemeral subscriptions read with XREAD and create nothing on the server.
 * Streams are trimmed with `MAXLEN ~`. ioredis reconnects by itself; blocked reads resume and
 * groups lost with the server's data are re-created.
 *
 * Survives a server restart only when Redis persists what it acknowledged
 * (`appendonly yes`, `appendfsync always`).
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
  const closeTimeoutMs = options.closeTimeoutMs ?? 10_000;
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
  const subscriptions = new Set<Subscription>();
  const publishes = createInFlightTracker();
  const deadlines = createDeadlines();
  let closing: Promise<void> | undefined;

  const streamKey = (topic: string) => keyPrefix + topic;

  const assertOpen = (action: string, topic: string): void =>
    assertTransportOpen('redis', closing !== undefined, action, topic);

  const timedOut = () =>
    new Error(
      connectionError === undefined
        ? `Redis at ${redactUrl(url)} gave no answer within ${publishTimeoutMs} ms`
        : `Redis at ${redactUrl(url)} is unreachable: ${describeConnectionError(connectionError)}`,
    );

  function failure(what: string, topic: string, error: unknown): PlaytallyError {
    return new PlaytallyError(
      'TRANSPORT_ERROR',
      `redis: ${what} "${topic}" failed: ${error instanceof Error ? error.message : String(error)}`,
      {
        cause: error,
        details: { topic, url: redactUrl(url) },
      },
    );
  }

  /** Bounds `work` by the outage timeout, turning failures into TRANSPORT_ERROR. */
  function guarded<T>(what: string, topic: string, work: Promise<T>): Promise<T> {
    return deadlines.race(work, publishTimeoutMs, timedOut).catch((error: unknown) => {
      throw failure(what, topic, error);
    });
  }

  function publishEncoded(
    topic: string,
    message: CloudEventParts,
    key: string | undefined,
  ): Promise<void> {
    const fields = encodeStreamFields(message, key);
    const added = commands.call(
      'XADD',
      streamKey(topic),
      ...trim,
      '*',
      ...fields,
    ) as Promise<unknown>;
    return deadlines.race(added, publishTimeoutMs, timedOut).then(ignore, (error: unknown) => {
      throw failure('publishing to', topic, error);
    });
  }

  async function ensureGroup(topic: string, group: string): Promise<void> {
    await createGroup(commands, streamKey(topic), group, '$');
    if (!topic.endsWith(deadLetterTopic('')))
      await createGroup(commands, streamKey(deadLetterTopic(topic)), group, '$');
  }

  async function openSource(topic: string, group: string | undefined): Promise<StreamSource> {
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
      const consumer = `${hostname()}-${process.pid}-${randomBytes(3).toString('hex')}`;
      return createGroupSource({
        commands,
        reader,
        onAcknowledgeError: (error) =>
          logger.warn({ err: error, topic, group }, 'redis: XACK failed; the entries stay pending'),
        stream: streamKey(topic),
        group,
        consumer,
        blockMs,
        claimIdleMs,
      });
    } catch (error) {
      await closeConnection(connection);
      throw error;
    }
  }

  async function close(): Promise<void> {
    await Promise.all([...subscriptions].map((subscription) => subscription.close()));
    await publishes.drain(closeTimeoutMs);
    if (options.client === undefined) await closeConnection(commands);
  }

  return {
    name: 'redis',
    capabilities: CAPABILITIES,

    publish(topic: string, event: CloudEvent, publishOptions: PublishOptions = {}) {
      try {
        assertOpen('publish to', topic);
        return publishes.track(
          publishEncoded(topic, encodeCloudEventParts(event), publishOptions.key),
        );
      } catch (error) {
        return Promise.reject(error);
      }
    },

    async ensure(topic: string, groups: readonly string[]) {
      assertOpen('ensure', topic);
      await guarded(
        'ensuring',
        topic,
        Promise.all(groups.map((group) => ensureGroup(topic, group))),
      );
    },

    async subscribe<T>(
      topic: string,
      handler: EventHandler<T>,
      subscribeOptions: SubscribeOptions = {},
    ) {
      assertOpen('subscribe to', topic);
      const resolved = resolveSubscribeOptions(subscribeOptions);
      const source = await guarded('subscribing to', topic, openSource(topic, resolved.group));
      const subscription = runStreamSubscription({
        topic,
        options: resolved,
        handler: handler as EventHandler<never>,
        source,
        closeTimeoutMs,
        publishDeadLetter: (origin, deadLetter, key) =>
          publishEncoded(deadLetterTopic(origin), deadLetter, key),
        logger,
        onClosed: () => subscriptions.delete(subscription),
      });
      subscriptions.add(subscription);
      return subscription;
    },

    async ping() {
      if (closing !== undefined)
        throw new PlaytallyError('TRANSPORT_CLOSED', 'redis transport is closed');
      await withTimeout(
        commands.ping(),
        5000,
        () => new PlaytallyError('TRANSPORT_ERROR', 'redis: no answer to PING'),
      );
    },

    close() {
      closing ??= close();
      return closing;
    },
  };
}
