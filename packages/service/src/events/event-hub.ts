import type { CloudEvent, Subscription, Transport } from '@playtally/transport';
import { errorFields, type Logger, silentLogger } from '@playtally/transport';
import { TOPICS, type TopicNames } from './topics.js';

/** Receives every event of the events topic. Errors it throws are logged, never propagated. */
export type EventListener = (event: CloudEvent) => void;

/** Options of {@link createEventHub}. */
export interface EventHubOptions {
  transport: Transport;
  /** @default TOPICS */
  topics?: TopicNames;
  /** @default silentLogger */
  logger?: Logger;
}

/**
 * One process's view of the events topic: a single ephemeral subscription (no group, so every
 * API instance gets every event) fanned out to any number of local listeners, such as
 * WebSocket clients and metrics.
 */
export interface EventHub {
  /** Subscribes to the events topic. Idempotent. */
  start(): Promise<void>;
  /** Adds a listener; call the returned function to remove it. */
  onEvent(listener: EventListener): () => void;
  /** Closes the subscription and drops every listener. Idempotent. */
  close(): Promise<void>;
}

/**
 * Creates an {@link EventHub}.
 *
 * @example
 * ```ts
 * const hub = createEventHub({ transport });
 * await hub.start();
 * const stop = hub.onEvent((event) => console.log(event.type, event.subject));
 * ```
 */
export function createEventHub(options: EventHubOptions): EventHub {
  const topics = options.topics ?? TOPICS;
  const logger = options.logger ?? silentLogger;
  const listeners = new Set<EventListener>();
  let subscription: Promise<Subscription> | undefined;
  let closing: Promise<void> | undefined;

  return {
    start() {
      subscription ??= options.transport.subscribe(topics.events, async (event) => {
        for (const listener of [...listeners]) {
          try {
            listener(event);
          } catch (error) {
            logger.warn({ ...errorFields(error), type: event.type }, 'event listener failed');
          }
        }
      });
      return subscription.then(() => {});
    },
    onEvent(listener) {
      const own: EventListener = (event) => listener(event);
      listeners.add(own);
      return () => listeners.delete(own);
    },
    close() {
      closing ??= (async () => {
        listeners.clear();
        if (subscription) await (await subscription).close();
      })();
      return closing;
    },
  };
}
