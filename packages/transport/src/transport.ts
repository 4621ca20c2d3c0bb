import type { CloudEvent } from './cloud-event.js';

/**
 * What a handler learns about the delivery it is handling.
 */
export interface DeliveryContext {
  /** The topic the event was published to. */
  readonly topic: string;
  /** The subscription's group, or `undefined` for an ephemeral subscription. */
  readonly group: string | undefined;
  /** 1 on first delivery, 2 on the first redelivery, and so on. */
  readonly attempt: number;
  /** The key the event was published with, if any. */
  readonly key: string | undefined;
  /**
   * Aborted when the subscription is closing and the close timeout has run out: a long handler
   * should stop and throw, so the message is handed back for redelivery rather than lost.
   */
  readonly signal: AbortSignal;
}

/**
 * Handles one event. Resolving acknowledges it; throwing (or rejecting) makes the transport
 * deliver it again after a backoff, until `maxAttempts` is reached, after which it is
 * dead-lettered with the last error. Handlers must therefore be idempotent.
 */
export type EventHandler<T = unknown> = (
  event: CloudEvent<T>,
  context: DeliveryContext,
) => Promise<void>;

/** Backoff between redeliveries: `min(maxMs, initialMs * factor^(attempt-1))`. */
export interface BackoffOptions {
  /** @default 100 */
  initialMs?: number;
  /** @default 5000 */
  maxMs?: number;
  /** @default 2 */
  factor?: number;
}

/** How a subscription consumes. */
export interface SubscribeOptions {
  /**
   * Subscriptions with the same group compete (each event goes to one of them); different
   * groups each receive every event. Without a group the subscription is ephemeral: it receives
   * every event published after `subscribe()` resolved and leaves nothing behind on the broker
   * once closed.
   */
  group?: string;
  /** Handlers run at most this many at once for this subscription (AMQP prefetch). @default 1 */
  concurrency?: number;
  /** Deliveries before an event is dead-lettered. @default 5 */
  maxAttempts?: number;
  backoff?: BackoffOptions;
  /**
   * What happens to a message that carries no CloudEvent attributes at all (none of `id`,
   * `source`, `type`, `specversion`, and not structured mode): a legacy producer's plain JSON.
   * By default (`false`) it is dead-lettered at once, like any undecodable message, with the
   * reason `not a CloudEvent: missing attribute(s) …`. With `true` (or the object, to choose
   * `type` and `source`), a message whose body is JSON is wrapped into a CloudEvent and handed
   * to the handler: `type` {@link PLAIN_JSON_DEFAULTS}.type (`playtally.plain-json`), `source`
   * `urn:playtally:topic:<topic>`, `id` the broker's message id where it has one (AMQP
   * `messageId`, Redis entry id) else a new UUID, `datacontenttype` `application/json`, no `time`,
   * `data` the parsed body. A body that is not JSON is still dead-lettered. On Redis the body is
   * the entry's `data` field. @default false
   */
  wrapPlainJson?: boolean | { readonly type?: string; readonly source?: string };
}

/** The `type` and `source` of a wrapped plain-JSON message: see {@link SubscribeOptions.wrapPlainJson}. */
export const PLAIN_JSON_DEFAULTS = {
  type: 'playtally.plain-json',
  source: (topic: string) => `urn:playtally:topic:${topic}`,
} as const;

/** Per-publish options. */
export interface PublishOptions {
  /**
   * Events with the same key keep their publish order for consumers of one group where the
   * transport promises it (`capabilities.orderedByKey`). On Kafka the key picks the partition.
   */
  key?: string;
}

/** What a transport can and cannot do; the contract suite skips what a transport lacks. */
export interface TransportCapabilities {
  /** Events of the same key are handled in publish order within a group (concurrency 1). */
  readonly orderedByKey: boolean;
  /** Nothing published and confirmed is lost when the broker process restarts. */
  readonly survivesBrokerRestart: boolean;
  /** Several processes can share the broker (false for the in-process memory transport). */
  readonly distributed: boolean;
}

/** A live subscription. */
export interface Subscription {
  readonly topic: string;
  readonly group: string | undefined;
  /**
   * Stops taking new events, waits for in-flight handlers (bounded by the transport's close
   * timeout; past it their `signal` is aborted and unfinished events are handed back for
   * redelivery), then releases broker resources. Ephemeral subscriptions delete what they
   * created. Idempotent and safe to call concurrently: every call resolves when closing is done.
   */
  close(): Promise<void>;
}

/**
 * The port between producers and consumers. Every adapter (memory, AMQP, Kafka, Redis Streams)
 * implements exactly these semantics and passes the contract suite in `@playtally/transport/testing`.
 *
 * Delivery is at least once. All methods are safe to call concurrently. After `close()` has
 * begun, `publish` and `subscribe` reject with `PlaytallyError('TRANSPORT_CLOSED')`.
 *
 * Dead letters: an event that exhausted `maxAttempts`, or that could not be decoded as a
 * CloudEvent, is published to {@link deadLetterTopic}(topic) with extension attributes
 * `deadletterreason` (the last error message), `deadlettergroup` and `deadletterattempts`, so it
 * can be inspected or replayed by subscribing to that topic like any other.
 *
 * Writing an adapter: {@link defineTransport} owns the lifecycle, the delivery loop and the
 * retry and dead-letter rules; an adapter supplies only its broker's primitives, and
 * `describeTransportContract` from `@playtally/transport/testing` checks the result against a
 * real broker.
 *
 * @example
 * ```ts
 * import { createMemoryTransport, createCloudEvent } from '@playtally/transport';
 * const transport = createMemoryTransport();
 * await transport.subscribe('greetings', async (event) => console.log(event.data), { group: 'printer' });
 * await transport.publish('greetings', createCloudEvent({ type: 'greeting', source: '/example', data: 'hi' }));
 * await transport.close();
 * ```
 */
export interface Transport {
  /** Short adapter name for logs and errors: `memory`, `amqp`, `kafka`, `redis`. */
  readonly name: string;
  readonly capabilities: TransportCapabilities;

  /**
   * Publishes one event. Resolves only once the broker has confirmed it durably (publisher
   * confirm, Kafka ack, XADD reply); rejects otherwise, in which case the event may or may not
   * have been delivered.
   */
  publish(topic: string, event: CloudEvent, options?: PublishOptions): Promise<void>;

  /**
   * Creates the topic and the named durable groups if they do not exist, so that events
   * published before any subscriber of those groups starts are kept for them. Idempotent.
   */
  ensure(topic: string, groups: readonly string[]): Promise<void>;

  /**
   * Starts consuming. Resolves once the subscription is active: every event published after
   * that (and, for a group, every event retained for the group) will reach a handler of this
   * subscription or of another subscription of the same group.
   */
  subscribe<T = unknown>(
    topic: string,
    handler: EventHandler<T>,
    options?: SubscribeOptions,
  ): Promise<Subscription>;

  /** Resolves when the broker answers; rejects with the reason otherwise (used by `/readyz`). */
  ping(): Promise<void>;

  /**
   * Reports, for `topic` and each of its durable groups (or only `group`), how many events wait
   * for the group, how many a consumer holds unacknowledged, how many consumers read for it and
   * how many dead letters are kept for it: what an operator's queue view shows. Read from the
   * broker where it keeps the figures (see {@link QueueStats} for what each broker can tell), so
   * it is a snapshot, never exact while events move. A topic or group the broker does not know
   * yields no entry. Ephemeral subscriptions are not listed. Rejects with `TRANSPORT_CLOSED`
   * after `close()` began.
   */
  inspect(topic: string, group?: string): Promise<readonly QueueStats[]>;

  /**
   * Closes every subscription gracefully (see {@link Subscription.close}), then disconnects.
   * Idempotent and safe to call concurrently.
   */
  close(): Promise<void>;
}

/**
 * The figures of one durable group of one topic, as {@link Transport.inspect} reports them.
 *
 * `ready` and `inFlight` together are the events the group has not acknowledged yet. Where a
 * broker cannot tell them apart for consumers in other processes (Kafka keeps only a group's
 * committed offset; RabbitMQ's queue declare counts ready messages only), the adapter counts
 * its own subscriptions' unacknowledged events as `inFlight`, and says so in its README.
 */
export interface QueueStats {
  readonly topic: string;
  readonly group: string;
  /** Events kept for the group that no consumer holds yet (the backlog). */
  readonly ready: number;
  /** Events a consumer of the group holds and has not acknowledged yet. */
  readonly inFlight: number;
  /** Subscriptions (consumers) currently reading for the group. */
  readonly consumers: number;
  /** Dead letters of the topic kept for the group on its dead-letter topic, not yet read. */
  readonly deadLetters: number;
}

/** The topic dead letters of `topic` are published to. */
export function deadLetterTopic(topic: string): string {
  return `${topic}${DEAD_LETTER_SUFFIX}`;
}

/** Whether `topic` is a dead-letter topic (`<topic>.dead-letter`), whose groups get no dead-letter groups of their own. */
export function isDeadLetterTopic(topic: string): boolean {
  return topic.endsWith(DEAD_LETTER_SUFFIX);
}

const DEAD_LETTER_SUFFIX = '.dead-letter';

/** Extension attribute names a dead letter carries. */
export const DEAD_LETTER_ATTRIBUTES = {
  reason: 'deadletterreason',
  group: 'deadlettergroup',
  attempts: 'deadletterattempts',
} as const;

/** Delay before redelivery number `attempt` (1-based attempt that just failed). */
export function backoffDelay(attempt: number, options: BackoffOptions = {}): number {
  const initial = options.initialMs ?? 100;
  const max = options.maxMs ?? 5000;
  const factor = options.factor ?? 2;
  return Math.min(max, initial * factor ** Math.max(0, attempt - 1));
}
