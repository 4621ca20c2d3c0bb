import type { CloudEventParts, EncodedCloudEvent } from '../cloud-event.js';
import type { ResolvedSubscribeOptions } from '../delivery.js';
import type { Logger } from '../logger.js';
import type { QueueStats, TransportCapabilities } from '../transport.js';

/**
 * One message an adapter hands to the kit. Adapters extend it with what they need to settle the
 * message later (an AMQP message and its channel, a Redis entry id, a Kafka batch and index);
 * the kit passes the same object back to {@link Receiver.ack} and {@link Receiver.retry}.
 */
export interface Delivery {
  /** The message as it arrived, attributes without the broker's header prefix. */
  readonly message: EncodedCloudEvent;
  /** The key it was published with, if any. */
  readonly key: string | undefined;
  /** The broker's own id of the message, if it has one (AMQP `messageId`, Redis entry id). */
  readonly id?: string | undefined;
  /**
   * 1 on first delivery. Brokers that count deliveries (Redis' pending list, AMQP retry copies
   * and `x-delivery-count`) report their count: a delivery whose attempt already exceeds
   * `maxAttempts` (a message that crashed its consumers) is dead-lettered without running the
   * handler again.
   */
  readonly attempt: number;
}

/**
 * The consuming side of one subscription, as an adapter opens it in
 * {@link TransportDriver.receive}. Deliveries come in one of two ways: the adapter pushes them
 * (an AMQP consumer callback, a Kafka batch) through the `push` function it was given, or the
 * kit pulls them with {@link Receiver.read}. Either way the kit runs the one delivery loop:
 * at most `concurrency` handlers at once, started in arrival order; a delivery whose key is
 * still being handled waits for it, so one key is never handled twice at once; after the
 * handler, `ack`; after a failure, the backoff, then {@link Receiver.retry}; after
 * `maxAttempts`, the dead letter is published and then the delivery acknowledged.
 *
 * The kit calls these methods from one subscription only, never concurrently with `close`,
 * and never again after `close` resolved.
 */
export interface Receiver<D extends Delivery = Delivery> {
  /**
   * Pull sources only: waits for up to `count` deliveries and resolves with what came (an empty
   * list after the broker's block time is fine). The kit keeps at most twice `concurrency`
   * deliveries read and unsettled, and reads again once half the room is free, so reads come in
   * batches. A rejection is logged and the read retried after a pause.
   */
  read?(count: number): Promise<readonly D[]>;
  /**
   * Stops taking new deliveries: ends a pending `read` at once, cancels a push consumer. Called
   * first when the subscription closes; what was delivered stays this receiver's until `close`.
   */
  stop?(): Promise<void>;
  /**
   * Acknowledges a delivery whose handler resolved or whose dead letter was published. May
   * batch (resolve offsets, XACK per tick); a lost acknowledgement only means a redelivery, so
   * a rejection is logged and nothing else happens.
   */
  ack(delivery: D): void | Promise<void>;
  /**
   * Called after a failed attempt once the backoff has passed, before attempt number `attempt`.
   * Resolve `true` to have the kit run the handler again in place (after recording the attempt
   * where the broker keeps it: Redis' XCLAIM … RETRYCOUNT), or `false` when the delivery is no
   * longer this consumer's or the adapter handed it back to the broker itself (AMQP publishes a
   * copy carrying the attempt and acknowledges the original). Without it, retries happen in place.
   */
  retry?(delivery: D, attempt: number): Promise<boolean>;
  /**
   * Whether the delivery may still be handled: false once its channel closed (AMQP) or its
   * partition was reassigned (Kafka). Checked before each attempt; a delivery that is no longer
   * current is dropped unacknowledged, for the broker to deliver again.
   */
  isCurrent?(delivery: D): boolean;
  /**
   * What closing does with deliveries received but not started: `'hand-back'` drops them
   * unacknowledged (closing the channel requeues them, an uncommitted offset is fetched again),
   * `'handle'` still handles them within the close timeout, for brokers that would give them to
   * another consumer only after a long idle time (Redis' pending entries). @default 'hand-back'
   */
  readonly onClose?: 'hand-back' | 'handle';
  /**
   * Releases the subscription's broker resources, after in-flight handlers finished or the
   * close timeout ran out (their late results are then dropped): writes queued
   * acknowledgements, hands back what was not acknowledged, deletes what an ephemeral
   * subscription created. Called once.
   */
  close(): Promise<void>;
}

/** What a transport knows of a topic's groups without asking the broker. */
export interface LocalGroups {
  /** The groups this transport ensured or subscribed on the topic. */
  readonly known: readonly string[];
  /** Deliveries this transport's subscriptions of `group` received and have not settled yet. */
  held(group: string): number;
}

/** How a receiver reaches the kit. */
export interface DeliverySink<D extends Delivery> {
  /** Hands the kit one message (push adapters). */
  push(delivery: D): void;
  /**
   * Reports that the receiver stopped for good without being asked (its channel or consumer
   * died and the client will not restore it). The kit logs `error`, closes the receiver and
   * opens a new one with `receive`, retrying with backoff until it succeeds or the
   * subscription closes; deliveries of the old receiver may still reach `ack` and `retry` of
   * the new one, so adapters settle a delivery through its own state (its channel, its batch).
   */
  lost(error: unknown): void;
}

/**
 * What a broker adapter supplies to {@link defineTransport}: its name, capabilities and
 * primitives, and nothing of the lifecycle, the delivery loop or the retry rules, which the kit
 * owns. Every primitive may reject; the kit turns a rejection that is not a `PlaytallyError`
 * into `TRANSPORT_ERROR` naming the transport, the action and the topic. Adapters create their
 * clients lazily (or take one the application owns) and reconnect by themselves.
 */
export interface TransportDriver<D extends Delivery = Delivery> {
  /** Short adapter name for logs and errors: `amqp`, `kafka`, `redis`. */
  readonly name: string;
  readonly capabilities: TransportCapabilities;
  /** How long `close()` waits for in-flight handlers and publishes. @default 10000 */
  readonly closeTimeoutMs?: number;
  /**
   * How long `subscribe()` waits for {@link TransportDriver.receive}; a receiver that opens
   * later is closed at once. @default Infinity
   */
  readonly openTimeoutMs?: number;
  /** Receives dead letters, settle failures and receive errors. @default silentLogger */
  readonly logger?: Logger;
  /**
   * Publishes one message (the body may still be text, see `encodeCloudEventParts`) and
   * resolves once the broker confirmed it durably. Also publishes dead letters.
   */
  publish(topic: string, message: CloudEventParts, key: string | undefined): Promise<unknown>;
  /** Creates the topic and the durable groups (and their dead-letter groups). Idempotent. */
  ensure(topic: string, groups: readonly string[]): Promise<void>;
  /**
   * Opens the consuming side of a subscription. A push adapter calls `sink.push` for every
   * message, as soon as it likes (before this resolves too); a pull adapter returns a receiver
   * with `read`. Resolves once the subscription is active (see `Transport.subscribe`).
   */
  receive(
    topic: string,
    options: ResolvedSubscribeOptions,
    sink: DeliverySink<D>,
  ): Promise<Receiver<D>>;
  /** Resolves when the broker answers. */
  ping(): Promise<void>;
  /**
   * Reads the figures of `Transport.inspect` from the broker, for `group` or, without one, for
   * every durable group of `topic` the broker can list. `local` adds what this transport knows
   * itself, for brokers that cannot tell: see {@link LocalGroups}.
   */
  inspect(
    topic: string,
    group: string | undefined,
    local: LocalGroups,
  ): Promise<readonly QueueStats[]>;
  /** Disconnects, after every subscription closed and publishes drained. Called once. */
  close(): Promise<void>;
}
