import { PlaytallyError } from '@playtally/core';
import { assertTransportOpen } from '../assert-open.js';
import { type CloudEvent, type EncodedCloudEvent, encodeCloudEvent } from '../cloud-event.js';
import { resolveSubscribeOptions } from '../delivery.js';
import {
  deadLetterTopic,
  type EventHandler,
  type PublishOptions,
  type SubscribeOptions,
  type Subscription,
  type Transport,
  type TransportCapabilities,
} from '../transport.js';
import { type MemoryEnvelope, MemoryQueue } from './memory-queue.js';
import { createMemorySubscription } from './memory-subscription.js';

/** Options of {@link createMemoryTransport}. */
export interface MemoryTransportOptions {
  /** How long `close()` waits for in-flight handlers before aborting them. @default 10000 */
  closeTimeoutMs?: number;
}

/** What the memory transport holds for a topic, for tests and diagnostics. */
export interface MemoryTopicInspection {
  /** Durable groups with their waiting messages and current subscriptions. */
  readonly groups: readonly {
    readonly name: string;
    readonly waiting: number;
    readonly subscriptions: number;
  }[];
  /** Ephemeral subscriptions currently open. */
  readonly ephemeralSubscriptions: number;
}

/** The memory transport: a {@link Transport} plus hooks for tests. */
export interface MemoryTransport extends Transport {
  /**
   * Publishes a message exactly as given, without encoding, the way a foreign producer might
   * write to a broker. Used by the contract suite to check that undecodable messages are
   * dead-lettered rather than crashing anything.
   */
  publishRaw(
    topic: string,
    attributes: Readonly<Record<string, string>>,
    body: Uint8Array,
  ): Promise<void>;
  /** Describes what the transport holds for `topic`. */
  inspect(topic: string): MemoryTopicInspection;
}

interface TopicState {
  readonly groups: Map<string, MemoryQueue>;
  readonly ephemerals: Set<MemoryQueue>;
}

const CAPABILITIES: TransportCapabilities = {
  orderedByKey: true,
  survivesBrokerRestart: false,
  distributed: false,
};

/**
 * The embedded default transport: topics, groups, redelivery with backoff, dead letters and
 * graceful close with the same semantics as the broker adapters, inside one process. Nothing
 * survives the process; durable groups buffer (unbounded) until the transport closes.
 * Messages are encoded on publish and decoded per delivery, exactly as on a broker, so handlers
 * never share objects with publishers.
 *
 * A group subscribed or ensured on a topic is also ensured on that topic's dead-letter topic, so
 * its dead letters are kept until someone reads them with the same group.
 *
 * @example
 * ```ts
 * import { createCloudEvent, createMemoryTransport } from '@playtally/core';
 * const transport = createMemoryTransport();
 * await transport.subscribe('greetings', async (event) => console.log(event.data), { group: 'printer' });
 * await transport.publish('greetings', createCloudEvent({ type: 'greeting', source: '/example', data: 'hi' }));
 * await transport.close();
 * ```
 */
export function createMemoryTransport(options: MemoryTransportOptions = {}): MemoryTransport {
  const closeTimeoutMs = options.closeTimeoutMs ?? 10_000;
  const topics = new Map<string, TopicState>();
  const subscriptions = new Set<Subscription>();
  const retryTimers = new Set<NodeJS.Timeout>();
  let closing: Promise<void> | undefined;

  const assertOpen = (action: string, topic: string): void =>
    assertTransportOpen('memory', closing !== undefined, action, topic);

  function topicState(topic: string): TopicState {
    let state = topics.get(topic);
    if (state === undefined) {
      state = { groups: new Map(), ephemerals: new Set() };
      topics.set(topic, state);
    }
    return state;
  }

  function groupQueue(topic: string, group: string): MemoryQueue {
    const groups = topicState(topic).groups;
    let queue = groups.get(group);
    if (queue === undefined) {
      queue = new MemoryQueue();
      groups.set(group, queue);
      if (!isDeadLetterTopic(topic)) groupQueue(deadLetterTopic(topic), group);
    }
    return queue;
  }

  function deliverToTopic(
    topic: string,
    message: EncodedCloudEvent,
    key: string | undefined,
  ): void {
    const state = topics.get(topic);
    if (state === undefined) return;
    const envelope: MemoryEnvelope = { message, key, attempt: 1 };
    for (const queue of state.groups.values()) queue.push(envelope);
    for (const queue of state.ephemerals) queue.push(envelope);
  }

  function retryLater(queue: MemoryQueue, envelope: MemoryEnvelope, delayMs: number): void {
    const timer = setTimeout(() => {
      retryTimers.delete(timer);
      queue.push(envelope);
    }, delayMs);
    retryTimers.add(timer);
  }

  async function close(): Promise<void> {
    await Promise.all([...subscriptions].map((subscription) => subscription.close()));
    for (const timer of retryTimers) clearTimeout(timer);
    retryTimers.clear();
    topics.clear();
  }

  return {
    name: 'memory',
    capabilities: CAPABILITIES,

    async publish(topic: string, event: CloudEvent, publishOptions: PublishOptions = {}) {
      assertOpen('publish to', topic);
      deliverToTopic(topic, encodeCloudEvent(event), publishOptions.key);
    },

    async publishRaw(topic, attributes, body) {
      assertOpen('publish to', topic);
      deliverToTopic(topic, { attributes: { ...attributes }, body: body.slice() }, undefined);
    },

    async ensure(topic: string, groups: readonly string[]) {
      assertOpen('ensure', topic);
      for (const group of groups) groupQueue(topic, group);
    },

    async subscribe<T>(
      topic: string,
      handler: EventHandler<T>,
      subscribeOptions: SubscribeOptions = {},
    ) {
      assertOpen('subscribe to', topic);
      const resolved = resolveSubscribeOptions(subscribeOptions);
      const ephemeral = resolved.group === undefined;
      const queue = ephemeral ? new MemoryQueue() : groupQueue(topic, resolved.group as string);
      if (ephemeral) topicState(topic).ephemerals.add(queue);
      const subscription = createMemorySubscription({
        topic,
        queue,
        options: resolved,
        handler: handler as EventHandler<never>,
        closeTimeoutMs,
        retryLater,
        publishDeadLetter: (source, deadLetter) =>
          deliverToTopic(deadLetterTopic(source), deadLetter, undefined),
        onClosed: () => {
          subscriptions.delete(subscription);
          if (ephemeral) topics.get(topic)?.ephemerals.delete(queue);
        },
      });
      subscriptions.add(subscription);
      return subscription;
    },

    async ping() {
      if (closing !== undefined)
        throw new PlaytallyError('TRANSPORT_CLOSED', 'memory transport is closed');
    },

    inspect(topic) {
      const state = topics.get(topic);
      return {
        groups: [...(state?.groups ?? [])].map(([name, queue]) => ({
          name,
          waiting: queue.length,
          subscriptions: queue.consumerCount,
        })),
        ephemeralSubscriptions: state?.ephemerals.size ?? 0,
      };
    },

    close() {
      closing ??= close();
      return closing;
    },
  };
}

function isDeadLetterTopic(topic: string): boolean {
  return topic.endsWith(deadLetterTopic(''));
}
