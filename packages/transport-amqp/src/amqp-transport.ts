import {
  type BackoffOptions,
  defineTransport,
  type Logger,
  PlaytallyError,
  redactUrl,
  silentLogger,
  type Transport,
} from '@playtally/transport';
import type { ChannelModel } from 'amqplib';
import { type AmqpLink, createAmqpConnection, isConnectionLoss } from './amqp-connection.js';
import { inspectQueues } from './amqp-inspect.js';
import { encodeAmqpMessage } from './amqp-message.js';
import { type AmqpDelivery, openAmqpReceiver } from './amqp-receiver.js';
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
  const publishTimeoutMs = options.publishTimeoutMs ?? 30_000;
  const logger = options.logger ?? silentLogger;
  const connection = createAmqpConnection({
    url,
    connection: options.connection,
    connectionName: options.connectionName ?? 'playtally',
    reconnect: options.reconnect ?? { initialMs: 100, maxMs: 5000, factor: 2 },
    logger,
  });
  /** Groups this transport ensured or subscribed, per topic: RabbitMQ cannot list a topic's queues. */
  const groups = new Map<string, Set<string>>();
  const unacknowledged = new Map<string, number>();
  const remember = (topic: string, group: string) =>
    groups.set(topic, (groups.get(topic) ?? new Set()).add(group));

  /** Runs `work` on the live link, retrying on a new link while the connection is being lost. */
  async function onLink<T>(work: (link: AmqpLink) => Promise<T>): Promise<T> {
    const deadline = Date.now() + publishTimeoutMs;
    for (;;) {
      const link = await connection.acquire(deadline);
      try {
        return await work(link);
      } catch (error) {
        if (link.open && !isConnectionLoss(error)) throw error;
        if (Date.now() >= deadline) {
          throw new PlaytallyError(
            'TRANSPORT_ERROR',
            `amqp: timed out during a broker outage: ${String(error)}`,
            {
              cause: error,
              details: { url: redactUrl(url) },
            },
          );
        }
        await new Promise((resolve) => setTimeout(resolve, 50));
      }
    }
  }

  return defineTransport<AmqpDelivery>({
    name: 'amqp',
    capabilities: { orderedByKey: true, survivesBrokerRestart: true, distributed: true },
    closeTimeoutMs: options.closeTimeoutMs ?? 10_000,
    logger,
    publish(topic, message, key) {
      const { content, options: properties } = encodeAmqpMessage(message, key);
      return onLink(async (link) => {
        await link.declareExchange(topic);
        await link.publish(topic, '', content, properties);
      });
    },
    async ensure(topic, ensured) {
      for (const group of ensured) remember(topic, group);
      await onLink(async (link) => {
        await link.declareExchange(topic);
        for (const group of ensured)
          await link.withTopologyChannel((channel) => declareGroup(channel, topic, group));
      });
    },
    receive(topic, subscribeOptions, sink) {
      if (subscribeOptions.group !== undefined) remember(topic, subscribeOptions.group);
      return openAmqpReceiver({
        topic,
        options: subscribeOptions,
        prefetch: options.prefetch ?? subscribeOptions.concurrency,
        connectTimeoutMs: publishTimeoutMs,
        connection,
        sink,
        unacknowledged,
        logger,
      });
    },
    async ping() {
      const link = await connection.acquire(Date.now() + 5000);
      await link.withTopologyChannel((channel) => channel.checkExchange('amq.fanout'));
    },
    inspect: (topic, group) =>
      onLink((link) =>
        inspectQueues(
          link.model,
          topic,
          group === undefined ? [...(groups.get(topic) ?? [])] : [group],
          unacknowledged,
        ),
      ),
    close: () => connection.close(),
  });
}
