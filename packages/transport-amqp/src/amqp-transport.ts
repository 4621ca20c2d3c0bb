import {
  assertTransportOpen,
  type BackoffOptions,
  type CloudEvent,
  createInFlightTracker,
  deadLetterTopic,
  type EncodedCloudEvent,
  type EventHandler,
  encodeCloudEvent,
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
import type { ChannelModel } from 'amqplib';
import { AmqpConnection, type AmqpLink } from './amqp-connection.js';
import { encodeAmqpMessage } from './amqp-message.js';
import { createAmqpSubscription } from './amqp-subscription.js';
import { declareGroup } from './amqp-topology.js';

/** Options of {@link createAmqpTransport}. */
export interface AmqpTransportOptions {
  /**
   * Broker URL, `amqp://user:password@host:5672/vhost` or `amqps://…`. Ignored when
   * `connection` is given. @default 'amqp://guest:guest@127.0.0.1:5672'
   */
  url?: string;
  /**
   * A connection the application already owns (from `amqplib`'s `connect`). The transport
   * neither closes it nor reconnects it: if it drops, the transport fails with TRANSPORT_ERROR.
   */
  connection?: ChannelModel;
  /**
   * Unacknowledged messages the broker pushes ahead to each subscription. More than the
   * subscription's concurrency lets messages wait in the process instead of on the broker.
   * @default the subscription's `concurrency`
   */
  prefetch?: number;
  /** How long `close()` waits for in-flight handlers and publishes. @default 10000 */
  closeTimeoutMs?: number;
  /**
   * How long `publish` keeps trying through a lost connection before rejecting, and how long
   * `subscribe`/`ensure` wait for a connection. @default 30000
   */
  publishTimeoutMs?: number;
  /** Delay between reconnection attempts. @default { initialMs: 100, maxMs: 5000, factor: 2 } */
  reconnect?: BackoffOptions;
  /** Shown by `rabbitmqctl list_connections client_properties`. @default 'playtally' */
  connectionName?: string;
  /** Receives reconnects, dead letters and settle failures. @default silentLogger */
  logger?: Logger;
}

const CAPABILITIES: TransportCapabilities = {
  orderedByKey: true,
  survivesBrokerRestart: true,
  distributed: true,
};

/**
 * A {@link Transport} over RabbitMQ. A topic is a durable fanout exchange; a group is a durable
 * queue `<topic>.<group>` bound to it; an ephemeral subscription is an exclusive server-named
 * queue deleted on close. Publishes are persistent and resolve on the publisher confirm.
 * Dead letters go to the `<topic>.dead-letter` exchange, where each group has its own queue
 * `<topic>.dead-letter.<group>`. Reconnects by itself and resumes subscriptions; publishes
 * made during an outage wait for the connection (up to `publishTimeoutMs`).
 *
 * @example
 * ```ts
 * import { createCloudEvent } from '@playtally/transport';
 * import { createAmqpTransport } from '@playtally/transport-amqp';
 * const transport = createAmqpTransport({ url: 'amqp://guest:guest@127.0.0.1:5672' });
 * await transport.subscribe('greetings', async (event) => console.log(event.data), { group: 'printer' });
 * await transport.publish('greetings', createCloudEvent({ type: 'greeting', source: '/example', data: 'hi' }));
 * await transport.close();
 * ```
 */
export function createAmqpTransport(options: AmqpTransportOptions = {}): Transport {
  const url = options.url ?? 'amqp://guest:guest@127.0.0.1:5672';
  const closeTimeoutMs = options.closeTimeoutMs ?? 10_000;
  const publishTimeoutMs = options.publishTimeoutMs ?? 30_000;
  const logger = options.logger ?? silentLogger;
  const connection = new AmqpConnection({
    url,
    connection: options.connection,
    connectionName: options.connectionName ?? 'playtally',
    reconnect: options.reconnect ?? { initialMs: 100, maxMs: 5000, factor: 2 },
    logger,
  });
  const subscriptions = new Set<Subscription>();
  const publishes = createInFlightTracker();
  let closing: Promise<void> | undefined;

  const assertOpen = (action: string, topic: string): void =>
    assertTransportOpen('amqp', closing !== undefined, action, topic);

  /** Runs `work` on the live link, retrying on a new link if the connection drops meanwhile. */
  async function onLink(
    what: string,
    topic: string,
    work: (link: AmqpLink) => Promise<void>,
  ): Promise<void> {
    const deadline = Date.now() + publishTimeoutMs;
    for (;;) {
      const link = await connection.acquire(deadline);
      try {
        await work(link);
        return;
      } catch (error) {
        if (link.open && Date.now() < deadline && !isChannelClosed(error)) {
          throw new PlaytallyError(
            'TRANSPORT_ERROR',
            `amqp: ${what} "${topic}" failed: ${String(error)}`,
            {
              cause: error,
              details: { topic, url: redactUrl(url) },
            },
          );
        }
        if (Date.now() >= deadline) {
          throw new PlaytallyError(
            'TRANSPORT_ERROR',
            `amqp: ${what} "${topic}" timed out during a broker outage`,
            {
              cause: error,
              details: { topic, url: redactUrl(url) },
            },
          );
        }
        await new Promise((resolve) => setTimeout(resolve, 50));
      }
    }
  }

  function publishEncoded(
    topic: string,
    message: EncodedCloudEvent,
    key: string | undefined,
  ): Promise<void> {
    const { content, options: properties } = encodeAmqpMessage(message, key);
    return onLink('publishing to', topic, async (link) => {
      await link.declareExchange(topic);
      await link.publish(topic, '', content, properties);
    });
  }

  async function close(): Promise<void> {
    await Promise.all([...subscriptions].map((subscription) => subscription.close()));
    await publishes.drain(closeTimeoutMs);
    await connection.close();
  }

  return {
    name: 'amqp',
    capabilities: CAPABILITIES,

    async publish(topic: string, event: CloudEvent, publishOptions: PublishOptions = {}) {
      assertOpen('publish to', topic);
      await publishes.track(publishEncoded(topic, encodeCloudEvent(event), publishOptions.key));
    },

    async ensure(topic: string, groups: readonly string[]) {
      assertOpen('ensure', topic);
      await onLink('ensuring', topic, async (link) => {
        await link.declareExchange(topic);
        for (const group of groups)
          await link.withTopologyChannel((channel) => declareGroup(channel, topic, group));
      });
    },

    async subscribe<T>(
      topic: string,
      handler: EventHandler<T>,
      subscribeOptions: SubscribeOptions = {},
    ) {
      assertOpen('subscribe to', topic);
      const resolved = resolveSubscribeOptions(subscribeOptions);
      const subscription = await createAmqpSubscription({
        topic,
        options: resolved,
        handler: handler as EventHandler<never>,
        prefetch: options.prefetch ?? resolved.concurrency,
        closeTimeoutMs,
        connectTimeoutMs: publishTimeoutMs,
        connection,
        publishDeadLetter: (source, deadLetter, key) =>
          publishEncoded(deadLetterTopic(source), deadLetter, key),
        logger,
        onClosed: () => subscriptions.delete(subscription),
      }).catch((error: unknown) => {
        if (error instanceof PlaytallyError) throw error;
        throw new PlaytallyError(
          'TRANSPORT_ERROR',
          `amqp: subscribing to "${topic}" failed: ${String(error)}`,
          {
            cause: error,
            details: { topic, group: resolved.group },
          },
        );
      });
      subscriptions.add(subscription);
      return subscription;
    },

    async ping() {
      if (closing !== undefined)
        throw new PlaytallyError('TRANSPORT_CLOSED', 'amqp transport is closed');
      const link = await connection.acquire(Date.now() + 5000);
      await link.withTopologyChannel((channel) => channel.checkExchange('amq.fanout'));
    },

    close() {
      closing ??= close();
      return closing;
    },
  };
}

function isChannelClosed(error: unknown): boolean {
  const message = error instanceof Error ? error.message : String(error);
  return /channel (is )?closed|connection (is )?closed|channel ended|socket|ECONNRESET|EPIPE/i.test(
    message,
  );
}
