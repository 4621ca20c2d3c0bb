import {
  type BackoffOptions,
  backoffDelay,
  describeConnectionError,
  type Logger,
  PlaytallyError,
  redactUrl,
} from '@playtally/transport';
import amqp, { type Channel, type ChannelModel, type ConfirmChannel, type Options } from 'amqplib';
import { loginRefusal } from './amqp-refusal.js';
import { declareTopic } from './amqp-topology.js';

/** One live connection with its publisher-confirm channel. Replaced as a whole on reconnect. */
export class AmqpLink {
  /** False once the connection has closed; the link is then never used again. */
  open = true;
  private publisher: Promise<ConfirmChannel> | undefined;
  private topology: Promise<Channel> | undefined;
  private readonly exchanges = new Map<string, Promise<void>>();
  private drained: Promise<void> | undefined;

  constructor(
    readonly model: ChannelModel,
    readonly generation: number,
  ) {}

  /**
   * Publishes and resolves once the broker has confirmed. Rejects if the broker nacks or the
   * channel closes first (then the message may or may not have been routed).
   */
  async publish(
    exchange: string,
    routingKey: string,
    content: Buffer,
    options: Options.Publish,
  ): Promise<void> {
    const channel = await this.publisherChannel();
    if (this.drained !== undefined) await this.drained;
    await new Promise<void>((resolve, reject) => {
      const accepted = channel.publish(exchange, routingKey, content, options, (error: unknown) =>
        error
          ? reject(
              error instanceof Error
                ? error
                : new Error(`broker refused the message: ${String(error)}`),
            )
          : resolve(),
      );
      if (!accepted && this.drained === undefined) {
        this.drained = new Promise<void>((done) => {
          const finish = () => {
            this.drained = undefined;
            channel.off('close', finish);
            done();
          };
          channel.once('drain', finish);
          channel.once('close', finish);
        });
      }
    });
  }

  /** Declares the topic's exchange once per connection (publishing to a missing one kills the channel). */
  declareExchange(topic: string): Promise<void> {
    let declared = this.exchanges.get(topic);
    if (declared === undefined) {
      declared = this.withTopologyChannel((channel) => declareTopic(channel, topic));
      declared.catch(() => this.exchanges.delete(topic));
      this.exchanges.set(topic, declared);
    }
    return declared;
  }

  /**
   * Runs declarations on a channel of their own, so a failed declaration (which closes its
   * channel) never takes publishes down with it. The channel is recreated when it closes.
   */
  async withTopologyChannel<T>(work: (channel: Channel) => Promise<T>): Promise<T> {
    this.topology ??= this.openChannel(
      () => this.model.createChannel(),
      () => (this.topology = undefined),
    );
    return work(await this.topology);
  }

  private publisherChannel(): Promise<ConfirmChannel> {
    this.publisher ??= this.openChannel(
      () => this.model.createConfirmChannel(),
      () => (this.publisher = undefined),
    );
    return this.publisher;
  }

  private async openChannel<C extends Channel>(
    create: () => Promise<C>,
    forget: () => void,
  ): Promise<C> {
    try {
      const channel = await create();
      channel.on('error', () => {});
      channel.once('close', forget);
      return channel;
    } catch (error) {
      forget();
      throw error;
    }
  }
}

/** How {@link AmqpConnection} connects and reconnects. */
export interface AmqpConnectionOptions {
  readonly url: string;
  readonly connection: ChannelModel | undefined;
  readonly connectionName: string;
  readonly reconnect: BackoffOptions;
  readonly logger: Logger;
}

/**
 * Owns the connection: connects lazily, reconnects with backoff after the broker or network
 * drops it (unless the caller supplied the connection), and tells subscriptions when a new
 * link is up so they can resume.
 */
export class AmqpConnection {
  private link: AmqpLink | undefined;
  private connecting: Promise<AmqpLink> | undefined;
  private generation = 0;
  private closed = false;
  /** Why the last attempt to connect failed, for the message when no attempt succeeds in time. */
  private lastError: unknown;
  private readonly wake = new AbortController();
  private readonly listeners = new Set<(link: AmqpLink) => void>();

  constructor(private readonly options: AmqpConnectionOptions) {}

  /** The live link, connecting or waiting for a reconnect until `deadline` (epoch ms). */
  async acquire(deadline: number): Promise<AmqpLink> {
    if (this.link?.open) return this.link;
    if (this.closed) throw new PlaytallyError('TRANSPORT_CLOSED', 'amqp transport is closed');
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(
        () =>
          reject(
            new PlaytallyError(
              'TRANSPORT_ERROR',
              this.lastError === undefined
                ? `amqp: no connection to RabbitMQ at ${redactUrl(this.options.url)} in time`
                : `amqp: RabbitMQ at ${redactUrl(this.options.url)} is unreachable: ${describeConnectionError(this.lastError)}`,
              {
                details: { url: redactUrl(this.options.url) },
              },
            ),
          ),
        Math.max(0, deadline - Date.now()),
      );
    });
    try {
      return await Promise.race([this.connect(), timeout]);
    } finally {
      clearTimeout(timer);
    }
  }

  /** Calls `listener` with every link after the first, i.e. after each reconnect. */
  onReconnect(listener: (link: AmqpLink) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  async close(): Promise<void> {
    this.closed = true;
    this.wake.abort();
    const link = this.link;
    this.link = undefined;
    if (link?.open && this.options.connection === undefined) {
      link.open = false;
      await link.model.close().catch(() => {});
    }
  }

  private connect(): Promise<AmqpLink> {
    this.connecting ??= this.connectLoop().finally(() => {
      this.connecting = undefined;
    });
    return this.connecting;
  }

  private async connectLoop(): Promise<AmqpLink> {
    for (let attempt = 1; ; attempt += 1) {
      if (this.closed) throw new PlaytallyError('TRANSPORT_CLOSED', 'amqp transport is closed');
      if (this.options.connection !== undefined) {
        if (this.generation > 0)
          throw this.failure('the connection the application supplied has closed');
        return this.adopt(this.options.connection);
      }
      try {
        return this.adopt(await this.dial());
      } catch (error) {
        // A refused login or virtual host will not fix itself: say so at once, unless it
        // happens on a reconnect, where the broker may be restarting with its users not loaded yet.
        const refusal = this.generation === 0 ? loginRefusal(error) : undefined;
        if (refusal !== undefined) {
          throw new PlaytallyError(
            'TRANSPORT_ERROR',
            `amqp: RabbitMQ at ${redactUrl(this.options.url)} ${refusal}`,
            { cause: error, details: { url: redactUrl(this.options.url) } },
          );
        }
        this.lastError = error;
        const delay = backoffDelay(attempt, this.options.reconnect);
        this.options.logger.warn(
          { err: error, url: redactUrl(this.options.url), retryInMs: delay },
          'amqp: connecting failed, retrying',
        );
        await new Promise<void>((resolve) => {
          const timer = setTimeout(resolve, delay);
          this.wake.signal.addEventListener('abort', () => {
            clearTimeout(timer);
            resolve();
          });
        });
      }
    }
  }

  private dial(): Promise<ChannelModel> {
    return amqp.connect(this.options.url, {
      clientProperties: { connection_name: this.options.connectionName },
    });
  }

  private adopt(model: ChannelModel): AmqpLink {
    this.generation += 1;
    const link = new AmqpLink(model, this.generation);
    model.on('error', (error: unknown) => {
      this.options.logger.warn({ err: error }, 'amqp: connection error');
    });
    model.once('close', () => {
      link.open = false;
      if (this.link !== link || this.closed) return;
      this.link = undefined;
      if (this.options.connection !== undefined) {
        this.options.logger.error(
          {},
          'amqp: the connection the application supplied closed; not reconnecting',
        );
        return;
      }
      this.options.logger.warn(
        { url: redactUrl(this.options.url) },
        'amqp: connection lost, reconnecting',
      );
      void this.connect().catch(() => {});
    });
    this.link = link;
    if (link.generation > 1) for (const listener of this.listeners) listener(link);
    return link;
  }

  private failure(error: unknown): PlaytallyError {
    return new PlaytallyError(
      'TRANSPORT_ERROR',
      `amqp: cannot use the connection: ${String(error)}`,
      { cause: error },
    );
  }
}
