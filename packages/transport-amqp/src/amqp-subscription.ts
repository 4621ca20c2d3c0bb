import {
  backoffDelay,
  createInFlightTracker,
  type EncodedCloudEvent,
  type EventHandler,
  type Logger,
  processDelivery,
  type ResolvedSubscribeOptions,
  type Subscription,
  sleepUnlessAborted,
} from '@playtally/transport';
import type { Channel, ConsumeMessage } from 'amqplib';
import type { AmqpConnection, AmqpLink } from './amqp-connection.js';
import { decodeAmqpMessage, encodeAmqpMessage } from './amqp-message.js';
import { declareEphemeral, declareGroup } from './amqp-topology.js';

/** What an AMQP subscription needs from its transport. */
export interface AmqpSubscriptionInit {
  readonly topic: string;
  readonly options: ResolvedSubscribeOptions;
  readonly handler: EventHandler<never>;
  /** Unacknowledged messages the broker may push to this subscription. */
  readonly prefetch: number;
  readonly closeTimeoutMs: number;
  readonly connectTimeoutMs: number;
  readonly connection: AmqpConnection;
  readonly publishDeadLetter: (
    topic: string,
    deadLetter: EncodedCloudEvent,
    key: string | undefined,
  ) => Promise<void>;
  readonly logger: Logger;
  readonly onClosed: () => void;
}

/** One consumer channel on one connection; replaced when the channel or connection dies. */
interface Attachment {
  readonly channel: Channel;
  readonly link: AmqpLink;
  queue: string;
  consumerTag: string;
  closed: boolean;
}

interface Waiting {
  readonly attachment: Attachment;
  readonly message: ConsumeMessage;
}

/**
 * Consumes a group queue (or an ephemeral server-named queue) on a channel of its own with
 * `prefetch` = the subscription's budget, acknowledging each message after its handler. A failed
 * handler's message is held for the backoff, then a copy carrying the next attempt number is
 * published back to the same queue and confirmed before the original is acknowledged, so a
 * crash at any point redelivers rather than loses it. Resumes on a new channel after the
 * channel or the connection is lost.
 */
export async function createAmqpSubscription(init: AmqpSubscriptionInit): Promise<Subscription> {
  const { topic, options, logger } = init;
  const inFlight = createInFlightTracker();
  const handlerAbort = new AbortController();
  const closingAbort = new AbortController();
  const waiting: Waiting[] = [];
  let attachment: Attachment | undefined;
  let active = 0;
  let resuming = false;
  let live = false;
  let closing: Promise<void> | undefined;

  async function attach(link: AmqpLink): Promise<void> {
    const channel = await link.model.createChannel();
    const current: Attachment = { channel, link, queue: '', consumerTag: '', closed: false };
    channel.on('error', (error: unknown) =>
      logger.warn({ err: error, topic }, 'amqp: consumer channel error'),
    );
    channel.once('close', () => {
      current.closed = true;
      if (attachment === current) attachment = undefined;
      if (closing === undefined) void resume();
    });
    try {
      await channel.prefetch(init.prefetch);
      current.queue =
        options.group === undefined
          ? await declareEphemeral(channel, topic)
          : await declareGroup(channel, topic, options.group);
      attachment = current;
      current.consumerTag = (
        await channel.consume(current.queue, (message) => receive(current, message))
      ).consumerTag;
    } catch (error) {
      await channel.close().catch(() => {});
      throw error;
    }
    if (closing !== undefined) await detach(current);
  }

  async function resume(): Promise<void> {
    if (!live || resuming || closing !== undefined || attachment !== undefined) return;
    resuming = true;
    try {
      for (let attempt = 1; closing === undefined && attachment === undefined; attempt += 1) {
        try {
          await attach(await init.connection.acquire(Date.now() + init.connectTimeoutMs));
          logger.info({ topic, group: options.group }, 'amqp: subscription resumed');
        } catch (error) {
          logger.warn(
            { err: error, topic, group: options.group },
            'amqp: resuming subscription failed, retrying',
          );
          await pause(backoffDelay(attempt, { initialMs: 200, maxMs: 5000 }));
        }
      }
    } finally {
      resuming = false;
    }
  }

  function receive(current: Attachment, message: ConsumeMessage | null): void {
    if (message === null) {
      // The broker cancelled the consumer (its queue was deleted): start over on a new channel.
      void current.channel.close().catch(() => {});
      return;
    }
    waiting.push({ attachment: current, message });
    pump();
  }

  function pump(): void {
    while (closing === undefined && active < options.concurrency && waiting.length > 0) {
      const next = waiting.shift() as Waiting;
      if (next.attachment.closed) continue;
      active += 1;
      void inFlight.track(
        handle(next).finally(() => {
          active -= 1;
          pump();
        }),
      );
    }
  }

  async function handle({ attachment: current, message }: Waiting): Promise<void> {
    const incoming = decodeAmqpMessage(message);
    const outcome = await processDelivery({
      topic,
      key: incoming.key,
      attempt: incoming.attempt,
      message: incoming.message,
      options,
      signal: handlerAbort.signal,
      handler: init.handler,
    });
    try {
      if (outcome.kind === 'retry') {
        // Closing mid-backoff: leave it unacknowledged; the broker redelivers it.
        if (!(await pause(outcome.delayMs)) || current.closed) return;
        const copy = encodeAmqpMessage(incoming.message, incoming.key, incoming.attempt + 1);
        await current.link.publish('', current.queue, copy.content, copy.options);
      } else if (outcome.kind === 'dead-letter') {
        if (current.closed) return;
        logger.warn(
          { err: outcome.error, topic, group: options.group },
          'amqp: dead-lettering a message',
        );
        await init.publishDeadLetter(topic, outcome.deadLetter, incoming.key);
      }
      if (!current.closed) current.channel.ack(message);
    } catch (error) {
      logger.warn(
        { err: error, topic, group: options.group },
        'amqp: could not settle a message; it will be redelivered',
      );
    }
  }

  /** Waits `ms`; resolves false at once if the subscription starts closing. */
  const pause = (ms: number): Promise<boolean> => sleepUnlessAborted(ms, closingAbort.signal);

  async function detach(current: Attachment): Promise<void> {
    if (current.closed) return;
    if (options.group === undefined)
      await current.channel.deleteQueue(current.queue).catch(() => {});
    await current.channel.close().catch(() => {});
  }

  async function close(): Promise<void> {
    closingAbort.abort();
    stopResuming();
    const current = attachment;
    if (current !== undefined && !current.closed)
      await current.channel.cancel(current.consumerTag).catch(() => {});
    if (!(await inFlight.drain(init.closeTimeoutMs))) {
      handlerAbort.abort(new Error(`subscription to ${topic} closed before its handler finished`));
    }
    if (current !== undefined) await detach(current);
    init.onClosed();
  }

  const stopResuming = init.connection.onReconnect(() => void resume());
  try {
    await attach(await init.connection.acquire(Date.now() + init.connectTimeoutMs));
    live = true;
  } catch (error) {
    stopResuming();
    throw error;
  }
  return {
    topic,
    group: options.group,
    close() {
      closing ??= close();
      return closing;
    },
  };
}
