import { PlaytallyError } from '@playtally/core';
import type { CloudEvent, DeliveryContext, Subscription, Transport } from '@playtally/transport';
import { errorFields, type Logger, silentLogger } from '@playtally/transport';
import type { NewMessage, StoredMessage } from '../domain/message.js';
import { createMessageEvent, EVENT_TYPES } from '../events/events.js';
import { ensureTopics, GROUPS, TOPICS, type TopicNames, WORKER_SOURCE } from '../events/topics.js';
import type { ConsumedMark, MarkedMessage, MessageStore } from '../ports/message-store.js';
import type { DatabaseGate } from '../worker/database-gate.js';
import type { RunCounts } from '../workers/worker-status.js';
import { createTickBatcher } from './tick-batcher.js';

/**
 * Application work for one message, run before it is marked consumed. Throwing makes the
 * transport redeliver the message; once a message is marked consumed its redeliveries skip the
 * handler, but a crash between the handler and the mark runs it again, so it should be
 * idempotent by `message.id`.
 */
export type MessageHandler = (message: StoredMessage, context: DeliveryContext) => Promise<void>;

/** Options of {@link createMessageConsumer}. */
export interface MessageConsumerOptions {
  messages: MessageStore;
  transport: Transport;
  /** Extra work per message (the footage example appends CSV rows). @default none */
  handler?: MessageHandler;
  /**
   * Holds store calls while the database is away, so consumption pauses instead of burning
   * delivery attempts. @default none: store errors fail the delivery (it is redelivered)
   */
  gate?: DatabaseGate;
  /**
   * Messages handled at once. The marks of messages handled together are committed together
   * (one transaction per turn of the event loop), so a higher number also means fewer commits.
   * @default 64 without a handler, 4 with one
   */
  concurrency?: number;
  /** Deliveries before a message is dead-lettered. @default 5 */
  maxAttempts?: number;
  /** @default TOPICS */
  topics?: TopicNames;
  /** @default silentLogger */
  logger?: Logger;
}

/** A running message consumer. */
export interface MessageConsumer {
  /** Ensures the topics and starts consuming in the `consumers` group. */
  start(): Promise<void>;
  /** Stops consuming, letting in-flight messages finish. Idempotent. */
  close(): Promise<void>;
  /** Deliveries handled since it was created, and how many of them failed (will be retried or dead-lettered). */
  stats(): RunCounts;
}

/**
 * Creates the consumer of posted messages: it runs the optional handler, persists the message
 * as consumed (idempotently by message id, so a redelivered or republished event is handled
 * once) and publishes
 * `message.consumed` on the events topic.
 *
 * @example
 * ```ts
 * const consumer = createMessageConsumer({ messages, transport, handler: async (m) => console.log(m.data) });
 * await consumer.start();
 * ```
 */
export function createMessageConsumer(options: MessageConsumerOptions): MessageConsumer {
  const { messages, transport, handler } = options;
  const topics = options.topics ?? TOPICS;
  const logger = options.logger ?? silentLogger;
  let subscription: Subscription | undefined;
  let started = false;
  let closing: Promise<void> | undefined;
  const counts = { processed: 0, failed: 0 };

  const stored = <T>(operation: () => Promise<T>, signal: AbortSignal): Promise<T> =>
    options.gate === undefined ? operation() : options.gate.run(operation, signal);

  // Group commit of the marks: the messages handled in one turn of the event loop are marked
  // consumed in one transaction.
  const marks = createTickBatcher<ConsumedMark, MarkedMessage>({
    run: (batch) => messages.markConsumedMany(batch),
  });

  const handle = async (event: CloudEvent, context: DeliveryContext): Promise<void> => {
    const incoming = toNewMessage(event);
    if (handler) {
      const existing = await stored(() => messages.get(incoming.id), context.signal);
      if (existing?.status === 'consumed') {
        return logger.debug({ messageId: incoming.id }, 'message already consumed; skipped');
      }
      await handler(existing ?? { ...incoming, status: 'received', consumedAt: null }, context);
    }
    const at = new Date().toISOString();
    const marked = await stored(
      () => marks.add({ id: incoming.id, at, fallback: incoming }),
      context.signal,
    );
    // Consumed before (a redelivery, or another consumer got there first): said once already.
    if (!marked.changed) {
      return logger.debug({ messageId: incoming.id }, 'message already consumed; skipped');
    }
    const consumed = marked.message;
    logger.debug({ messageId: consumed.id, type: consumed.type }, 'message consumed');
    try {
      await transport.publish(
        topics.events,
        createMessageEvent(EVENT_TYPES.messageConsumed, consumed, WORKER_SOURCE),
      );
    } catch (error) {
      logger.warn(
        { ...errorFields(error), messageId: consumed.id },
        'could not publish message.consumed',
      );
    }
  };

  return {
    async start() {
      if (started) return;
      started = true;
      await ensureTopics(transport, topics);
      const counted = async (event: CloudEvent, context: DeliveryContext): Promise<void> => {
        try {
          await handle(event, context);
        } catch (error) {
          counts.failed += 1;
          throw error;
        } finally {
          counts.processed += 1;
        }
      };
      subscription = await transport.subscribe(topics.messages, counted, {
        group: GROUPS.consumers,
        concurrency: options.concurrency ?? (handler ? 4 : 64),
        maxAttempts: options.maxAttempts ?? 5,
      });
      logger.info({ transport: transport.name }, 'message consumer started');
    },
    close() {
      closing ??= (async () => {
        await subscription?.close();
      })();
      return closing;
    },
    stats: () => ({ ...counts }),
  };
}

/**
 * The message an event carries. The API publishes a stored message with its id as `subject`
 * (the event id is the client's `ce-id` when it sent one); an event from another producer is
 * stored under its own id.
 */
function toNewMessage(event: CloudEvent): NewMessage {
  const data: unknown = event.data;
  if (typeof data !== 'object' || data === null || Array.isArray(data)) {
    throw new PlaytallyError('INVALID_INPUT', `message ${event.id} does not carry a JSON object`, {
      details: { messageId: event.id },
    });
  }
  return {
    id: event.subject ?? event.id,
    type: event.type,
    source: event.source,
    data: data as Record<string, unknown>,
    receivedAt: event.time ?? new Date().toISOString(),
  };
}
