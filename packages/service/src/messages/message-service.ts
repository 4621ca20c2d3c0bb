import { PlaytallyError } from '@playtally/core';
import type { Transport } from '@playtally/transport';
import { createCloudEvent, errorFields, type Logger, silentLogger } from '@playtally/transport';
import { v7 as uuidv7 } from 'uuid';
import type { StoredMessage } from '../domain/message.js';
import type { Page, PageRequest } from '../domain/page.js';
import { createMessageEvent, EVENT_TYPES } from '../events/events.js';
import { API_SOURCE, TOPICS, type TopicNames } from '../events/topics.js';
import type { MessageStore } from '../ports/message-store.js';
import { createMessageSchemaRegistry, type MessageSchemaRegistry } from './message-schemas.js';

/** The type of a message posted without one. */
export const DEFAULT_MESSAGE_TYPE = 'message';

/** Options of {@link createMessageService}. */
export interface MessageServiceOptions {
  messages: MessageStore;
  transport: Transport;
  /** @default an empty registry: any JSON object is accepted */
  schemas?: MessageSchemaRegistry;
  /** @default TOPICS */
  topics?: TopicNames;
  /** @default silentLogger */
  logger?: Logger;
}

/** What posting a message needs. */
export interface PostMessageInput {
  /** The JSON value received; must satisfy the schema of `type`. */
  data: unknown;
  /** Selects a registered schema. @default 'message' */
  type?: string | undefined;
  /** Who sent it, as a CloudEvents source (URI reference). @default '/playtally/api' */
  source?: string | undefined;
}

/** The API side of messages. */
export interface MessageService {
  /**
   * Validates the message, stores it as `received`, publishes `message.received` on the events
   * topic for every watcher and the message itself on the messages topic for the consumer.
   * Rejects with `VALIDATION_FAILED` (details: `{ type, issues }`).
   */
  post(input: PostMessageInput): Promise<StoredMessage>;
  /** The message; rejects with `NOT_FOUND`. */
  get(id: string): Promise<StoredMessage>;
  /** Messages newest first. */
  list(request?: PageRequest): Promise<Page<StoredMessage>>;
}

const TYPE_PATTERN = /^[A-Za-z0-9][A-Za-z0-9._:/-]{0,127}$/;

/**
 * Creates the {@link MessageService} an API instance uses; {@link createMessageConsumer}
 * handles what it publishes.
 *
 * @example
 * ```ts
 * const service = createMessageService({ messages: createMemoryMessageStore(), transport });
 * const stored = await service.post({ data: { hello: 'world' } });
 * ```
 */
export function createMessageService(options: MessageServiceOptions): MessageService {
  const { messages, transport } = options;
  const schemas = options.schemas ?? createMessageSchemaRegistry();
  const topics = options.topics ?? TOPICS;
  const logger = options.logger ?? silentLogger;

  return {
    async post(input) {
      const type = input.type ?? DEFAULT_MESSAGE_TYPE;
      if (!TYPE_PATTERN.test(type)) {
        throw new PlaytallyError(
          'VALIDATION_FAILED',
          `message type "${type}" must be 1-128 letters, digits or . _ : / -, starting with a letter or digit`,
          {
            details: {
              type,
              issues: [{ path: ['type'], message: 'invalid type', code: 'custom' }],
            },
          },
        );
      }
      const source = input.source || API_SOURCE;
      const data = schemas.validate(type, input.data);
      const id = uuidv7();
      const stored = await messages.insert({
        id,
        type,
        source,
        data,
        receivedAt: new Date().toISOString(),
      });
      const log = logger.child({ messageId: id });
      // Watchers hear of it before the consumer can possibly report it consumed.
      try {
        await transport.publish(
          topics.events,
          createMessageEvent(EVENT_TYPES.messageReceived, stored, API_SOURCE),
        );
      } catch (error) {
        log.warn(errorFields(error), 'could not publish message.received');
      }
      try {
        await transport.publish(
          topics.messages,
          createCloudEvent({ id, type, source, data, time: stored.receivedAt }),
          { key: id },
        );
      } catch (error) {
        const message = error instanceof Error ? error.message : String(error);
        throw new PlaytallyError('TRANSPORT_ERROR', `could not publish message ${id}: ${message}`, {
          cause: error,
          details: { messageId: id },
        });
      }
      log.info({ type }, 'message received');
      return stored;
    },

    async get(id) {
      const message = await messages.get(id);
      if (!message) {
        throw new PlaytallyError('NOT_FOUND', `message ${id} not found`, { details: { id } });
      }
      return message;
    },

    list: (request) => messages.list(request),
  };
}
