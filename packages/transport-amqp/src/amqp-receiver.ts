import type {
  Delivery,
  DeliverySink,
  Logger,
  Receiver,
  ResolvedSubscribeOptions,
} from '@playtally/transport';
import type { Channel, ConsumeMessage } from 'amqplib';
import type { AmqpLink } from './amqp-connection.js';
import { decodeAmqpMessage, encodeAmqpMessage } from './amqp-message.js';
import { declareEphemeral, declareGroup } from './amqp-topology.js';

/** One consumer channel on one connection; replaced when the channel or connection dies. */
interface Attachment {
  readonly channel: Channel;
  readonly link: AmqpLink;
  queue: string;
  closed: boolean;
}

/** A delivered message with the channel it must be settled on. */
export interface AmqpDelivery extends Delivery {
  readonly raw: ConsumeMessage;
  readonly attachment: Attachment;
}

/** What an AMQP receiver needs from its transport. */
export interface AmqpReceiverInit {
  /** The connection to consume on, once it is up. */
  readonly link: Promise<AmqpLink>;
  /** Unacknowledged messages the broker may push to this subscription. */
  readonly prefetch: number;
  readonly sink: DeliverySink<AmqpDelivery>;
  readonly logger: Logger;
}

/**
 * Consumes a group queue (or an ephemeral server-named queue) on a channel of its own with
 * `prefetch`, pushing each message to the kit. A retry is a copy carrying the next attempt
 * number, published back to the same queue and confirmed before the original is acknowledged,
 * so a crash at any point redelivers rather than loses it. When the channel or the connection
 * is lost it tells the kit, which opens a new receiver; messages of the old channel are no
 * longer current (the broker requeued them).
 */
export async function openAmqpReceiver(
  topic: string,
  options: ResolvedSubscribeOptions,
  init: AmqpReceiverInit,
): Promise<Receiver<AmqpDelivery>> {
  const { logger } = init;
  const warn = (what: string) => (error: unknown) =>
    logger.warn({ err: error, topic, group: options.group }, `amqp: ${what} failed`);
  const link = await init.link;
  const channel = await link.model.createChannel();
  const current: Attachment = { channel, link, queue: '', closed: false };
  let stopping = false;
  let live = false;
  let consumerTag = '';
  channel.on('error', warn('the consumer channel'));
  channel.once('close', () => {
    current.closed = true;
    // Not asked to close: the connection or the channel died; the kit opens a new receiver.
    if (live && !stopping)
      init.sink.lost(new Error(`amqp: the consumer channel of ${topic} closed`));
  });
  try {
    await channel.prefetch(init.prefetch);
    current.queue =
      options.group === undefined
        ? await declareEphemeral(channel, topic)
        : await declareGroup(channel, topic, options.group);
    const consumer = await channel.consume(current.queue, (message) => {
      // null: the broker cancelled the consumer (its queue was deleted); start over.
      if (message === null) return void channel.close().catch(warn('closing a cancelled channel'));
      init.sink.push({ ...decodeAmqpMessage(message), raw: message, attachment: current });
    });
    consumerTag = consumer.consumerTag;
    live = true;
  } catch (error) {
    await channel.close().catch(warn('closing a channel that failed to attach'));
    throw error;
  }

  const settle = ({ attachment, raw }: AmqpDelivery): void => {
    if (!attachment.closed) attachment.channel.ack(raw);
  };

  return {
    ack: settle,

    async retry(delivery, attempt) {
      const { attachment, message, key } = delivery;
      if (attachment.closed) return false;
      const copy = encodeAmqpMessage(message, key, attempt);
      await attachment.link.publish('', attachment.queue, copy.content, copy.options);
      settle(delivery);
      return false;
    },

    isCurrent: (delivery) => !delivery.attachment.closed,

    async stop() {
      stopping = true;
      if (!current.closed) await channel.cancel(consumerTag);
    },

    async close() {
      stopping = true;
      if (current.closed) return;
      if (options.group === undefined) await channel.deleteQueue(current.queue);
      await channel.close();
    },
  };
}
