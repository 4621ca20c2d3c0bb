import {
  type BackoffOptions,
  backoffDelay,
  createDeadlines,
  type Logger,
  PlaytallyError,
  redactUrl,
  sleepUnlessAborted,
  unreachableMessage,
} from '@playtally/transport';
import amqp, { type Channel, type ChannelModel, type ConfirmChannel, type Options } from 'amqplib';
import { declareTopic } from './amqp-topology.js';
import type { AmqpTransportOptions } from './amqp-transport.js';

/**
 * Why RabbitMQ refused to open a connection, when it did: its handshake error is a bare `Error`
 * whose message alone says what happened (amqplib sets no code on it). `undefined` for any
 * other failure (a broker not reachable yet), which is worth retrying.
 */
export function loginRefusal(error: unknown): string | undefined {
  const message = error instanceof Error ? error.message : '';
  if (/ACCESS[-_]REFUSED/.test(message)) {
    return 'refused the login: authentication refused (check the user name and password in the URL)';
  }
  if (/Expected ConnectionOpenOk; got <ConnectionClose/.test(message)) {
    return 'refused the connection: no access to its virtual host (does it exist, may the user open it?)';
  }
  return undefined;
}

/** AMQP reply codes that close the whole connection (connection-forced, frame and server errors). */
const CONNECTION_REPLY_CODES = new Set([320, 501, 502, 503, 504, 505, 506, 530, 540, 541]);

/**
 * Whether an operation failed because the connection or its channel went away, so that it may
 * succeed on a new one: classified by the error's type and code, never by its message. A
 * channel error the broker reports for the operation itself (404 no such exchange, 403
 * access refused, 406 precondition failed) is not a connection loss.
 */
export function isConnectionLoss(error: unknown): boolean {
  // amqplib's own type for an operation on a channel or connection that already closed.
  if (error instanceof Error && error.name === 'IllegalOperationError') return true;
  const { code, syscall } = (error ?? {}) as { code?: unknown; syscall?: unknown };
  // A socket error (ECONNRESET, EPIPE, ECONNREFUSED …) or a connection-level reply code.
  return (
    typeof syscall === 'string' || (typeof code === 'number' && CONNECTION_REPLY_CODES.has(code))
  );
}

/** One live connection with its publisher-confirm channel. Replaced as a whole on reconnect. */
export class AmqpLink {
  /** False once the connection has closed; the link is then never used again. */
  open = true;
  private readonly publisherChannel = lazyChannel(() => this.model.createConfirmChannel());
  private readonly topology = lazyChannel(() => this.model.createChannel());
  private readonly exchanges = new Map<string, Promise<void>>();
  private drained: Promise<void> | undefined;

  constructor(readonly model: ChannelModel) {}

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
    await this.drained;
    const confirmed = new Promise<void>((resolve, reject) => {
      const settle = (error: unknown) => (error ? reject(asError(error)) : resolve());
      if (!channel.publish(exchange, routingKey, content, options, settle))
        this.waitForDrain(channel);
    });
    // The exchange may have been deleted (its 404 closes the channel): declare it again next time.
    confirmed.catch(() => this.exchanges.delete(exchange));
    await confirmed;
  }

  /** Holds further publishes until the channel's write buffer drained (or it closed). */
  private waitForDrain(channel: ConfirmChannel): void {
    this.drained ??= new Promise<void>((done) => {
      const finish = () => {
        this.drained = undefined;
        channel.off('close', finish);
        done();
      };
      channel.once('drain', finish);
      channel.once('close', finish);
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
    return work(await this.topology());
  }
}

/** A channel opened on first use, and opened again after it closed or failed to open. */
function lazyChannel<C extends Channel>(create: () => Promise<C>): () => Promise<C> {
  let current: Promise<C> | undefined;
  const forget = () => {
    current = undefined;
  };
  return () => {
    if (current !== undefined) return current;
    current = create().then((channel) => {
      // Channel errors reject the operation that caused them; the close is what matters here.
      channel.on('error', () => {});
      channel.once('close', forget);
      return channel;
    });
    current.catch(forget);
    return current;
  };
}

/** The transport's connection: a live {@link AmqpLink} on demand. */
export type AmqpConnection = ReturnType<typeof createAmqpConnection>;

/**
 * Connects lazily and, after the broker or the network dropped the connection, reconnects with
 * backoff (unless the application supplied the connection); subscriptions learn of the loss
 * from their own channel closing.
 */
export function createAmqpConnection(
  url: string,
  options: AmqpTransportOptions & { reconnect: BackoffOptions; logger: Logger },
) {
  const { logger } = options;
  const stopped = new AbortController();
  const deadlines = createDeadlines();
  let link: AmqpLink | undefined;
  let connecting: Promise<AmqpLink> | undefined;
  /** A connection was up once: later failures are reconnects. */
  let adopted = false;
  /** Why the last attempt to connect failed, for the message when no attempt succeeds in time. */
  let lastError: unknown;

  function adopt(model: ChannelModel): AmqpLink {
    adopted = true;
    const current = new AmqpLink(model);
    model.on('error', (error: unknown) => logger.warn({ err: error }, 'amqp: connection error'));
    model.once('close', () => {
      current.open = false;
      if (link !== current || stopped.signal.aborted) return;
      link = undefined;
      if (options.connection !== undefined) {
        logger.error({}, 'amqp: the connection the application supplied closed; not reconnecting');
      } else {
        logger.warn({ url: redactUrl(url) }, 'amqp: connection lost, reconnecting');
        void connect().catch(() => undefined); // connectLoop logs every failed attempt
      }
    });
    link = current;
    return current;
  }

  async function connectLoop(): Promise<AmqpLink> {
    for (let attempt = 1; ; attempt += 1) {
      if (stopped.signal.aborted)
        throw new PlaytallyError('TRANSPORT_CLOSED', 'amqp: transport closed');
      if (options.connection !== undefined && !adopted) return adopt(options.connection);
      if (options.connection !== undefined) {
        throw new PlaytallyError('TRANSPORT_ERROR', 'amqp: the supplied connection has closed');
      }
      try {
        const clientProperties = { connection_name: options.connectionName ?? 'playtally' };
        return adopt(await amqp.connect(url, { clientProperties }));
      } catch (error) {
        // A refused login or virtual host will not fix itself: say so at once, unless it
        // happens on a reconnect, where the broker may be restarting with its users not loaded yet.
        const refusal = adopted ? undefined : loginRefusal(error);
        const details = { url: redactUrl(url) };
        const refused = `amqp: RabbitMQ at ${details.url} ${refusal}`;
        if (refusal !== undefined)
          throw new PlaytallyError('TRANSPORT_ERROR', refused, { cause: error, details });
        lastError = error;
        const delay = backoffDelay(attempt, options.reconnect);
        logger.warn(
          { err: error, url: redactUrl(url), retryInMs: delay },
          'amqp: connecting failed, retrying',
        );
        // Removes its abort listener when the delay passes: a long outage adds none.
        await sleepUnlessAborted(delay, stopped.signal);
      }
    }
  }

  function connect(): Promise<AmqpLink> {
    connecting ??= connectLoop().finally(() => {
      connecting = undefined;
    });
    return connecting;
  }

  return {
    /** The live link, connecting or waiting for a reconnect until `deadline` (epoch ms). */
    async acquire(deadline: number): Promise<AmqpLink> {
      if (link?.open) return link;
      const timeoutMs = Math.max(0, deadline - Date.now());
      const noConnection = () => {
        const reason = `amqp: ${unreachableMessage('RabbitMQ', url, lastError, timeoutMs)}`;
        return new PlaytallyError('TRANSPORT_ERROR', reason, { details: { url: redactUrl(url) } });
      };
      return deadlines.race(connect(), timeoutMs, noConnection);
    },
    /** Closes the link (unless the application owns it) and stops reconnecting. */
    async close(): Promise<void> {
      stopped.abort();
      const current = link;
      link = undefined;
      if (current?.open && options.connection === undefined) {
        current.open = false;
        const failed = (error: unknown) => logger.warn({ err: error }, 'amqp: closing failed');
        await current.model.close().catch(failed);
      }
    },
  };
}

const asError = (error: unknown): Error =>
  error instanceof Error ? error : new Error(`broker refused the message: ${String(error)}`);
