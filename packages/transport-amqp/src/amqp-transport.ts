import {
  type BackoffOptions,
  defineTransport,
  type Logger,
  retryTransient,
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
  const reconnect = options.reconnect ?? { initialMs: 100, maxMs: 5000, factor: 2 };
  const connection = createAmqpConnection(url, { ...options, reconnect, logger });

  /** Runs `work` on the live link, again on a new link while the connection is being lost. */
  function onLink<T>(work: (link: AmqpLink) => Promise<T>): Promise<T> {
    const deadline = Date.now() + publishTimeoutMs;
    let link: AmqpLink | undefined;
    const transient = (error: unknown) => link?.open === false || isConnectionLoss(error);
    const attempt = async () => {
      link = await connection.acquire(deadline);
      return work(link);
    };
    return retryTransient(attempt, transient, publishTimeoutMs);
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
      await onLink(async (link) => {
        await link.declareExchange(topic);
        for (const group of ensured)
          await link.withTopologyChannel((channel) => declareGroup(channel, topic, group));
      });
    },
    receive(topic, subscribeOptions, sink) {
      const prefetch = options.prefetch ?? subscribeOptions.concurrency;
      const link = connection.acquire(Date.now() + publishTimeoutMs);
      return openAmqpReceiver(topic, subscribeOptions, { link, prefetch, sink, logger });
    },
    async ping() {
      const link = await connection.acquire(Date.now() + 5000);
      await link.withTopologyChannel((channel) => channel.checkExchange('amq.fanout'));
    },
    // RabbitMQ cannot list the queues bound to an exchange: the groups this transport knows.
    inspect: (topic, group, { known, held }) =>
      onLink((link) =>
        inspectQueues(link.model, topic, group === undefined ? known : [group], held),
      ),
    close: () => connection.close(),
  });
}
