import type { CloudEventParts } from '../cloud-event.js';
import { defineTransport } from '../kit/define-transport.js';
import type { Receiver } from '../kit/transport-driver.js';
import {
  deadLetterTopic,
  isDeadLetterTopic,
  type Transport,
  type TransportCapabilities,
} from '../transport.js';
import { type MemoryEnvelope, MemoryQueue } from './memory-queue.js';

/** Options of {@link createMemoryTransport}. */
export interface MemoryTransportOptions {
  /** How long `close()` waits for in-flight handlers before aborting them. @default 10000 */
  closeTimeoutMs?: number;
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
}

interface TopicState {
  readonly groups: Map<string, MemoryQueue>;
  readonly ephemerals: Set<MemoryQueue>;
}

const encoder = new TextEncoder();

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
 * import { createCloudEvent, createMemoryTransport } from '@playtally/transport';
 * const transport = createMemoryTransport();
 * await transport.subscribe('greetings', async (event) => console.log(event.data), { group: 'printer' });
 * await transport.publish('greetings', createCloudEvent({ type: 'greeting', source: '/example', data: 'hi' }));
 * await transport.close();
 * ```
 */
export function createMemoryTransport(options: MemoryTransportOptions = {}): MemoryTransport {
  const topics = new Map<string, TopicState>();

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

  function deliverToTopic(topic: string, message: CloudEventParts, key: string | undefined): void {
    const state = topics.get(topic);
    if (state === undefined) return;
    const { attributes, body } = message;
    const bytes = typeof body === 'string' ? encoder.encode(body) : body;
    const envelope: MemoryEnvelope = { message: { attributes, body: bytes }, key, attempt: 1 };
    for (const queue of state.groups.values()) queue.push(envelope);
    for (const queue of state.ephemerals) queue.push(envelope);
  }

  function receive(topic: string, group: string | undefined): Receiver<MemoryEnvelope> {
    const queue = group === undefined ? new MemoryQueue() : groupQueue(topic, group);
    if (group === undefined) topicState(topic).ephemerals.add(queue);
    const taken = new Set<MemoryEnvelope>();
    const stopping = new AbortController();
    queue.readers.add(taken);
    return {
      async read(count) {
        const envelopes = await queue.take(count, stopping.signal);
        for (const envelope of envelopes) taken.add(envelope);
        return envelopes;
      },
      async stop() {
        stopping.abort();
      },
      ack(envelope) {
        taken.delete(envelope);
      },
      async close() {
        queue.readers.delete(taken);
        queue.handBack(taken);
        if (group === undefined) topics.get(topic)?.ephemerals.delete(queue);
      },
    };
  }

  const transport = defineTransport<MemoryEnvelope>({
    name: 'memory',
    capabilities: CAPABILITIES,
    closeTimeoutMs: options.closeTimeoutMs ?? 10_000,
    async publish(topic, message, key) {
      deliverToTopic(topic, message, key);
    },
    async ensure(topic, groups) {
      for (const group of groups) groupQueue(topic, group);
    },
    async receive(topic, subscribeOptions) {
      return receive(topic, subscribeOptions.group);
    },
    async ping() {},
    async inspect(topic, group) {
      const groups = topics.get(topic)?.groups ?? new Map<string, MemoryQueue>();
      const deadLetters = topics.get(deadLetterTopic(topic))?.groups;
      return [...groups]
        .filter(([name]) => group === undefined || name === group)
        .map(([name, queue]) => ({
          topic,
          group: name,
          ready: queue.length,
          inFlight: queue.inFlight,
          consumers: queue.readers.size,
          deadLetters: deadLetters?.get(name)?.length ?? 0,
        }));
    },
    async close() {
      topics.clear();
    },
  });

  return {
    ...transport,
    async publishRaw(topic, attributes, body) {
      await transport.ping();
      deliverToTopic(topic, { attributes: { ...attributes }, body: body.slice() }, undefined);
    },
  };
}
