import { createHash } from 'node:crypto';
import { isPlaytallyError, PlaytallyError } from '@playtally/core';
import { type Logger, silentLogger } from '@playtally/transport';
import { v5 as uuidv5, v7 as uuidv7 } from 'uuid';
import type { NewMessage, StoredMessage } from '../domain/message.js';
import type { Page, PageRequest } from '../domain/page.js';
import { messageDeliveryEvent, messageReceivedEvent } from '../events/outgoing.js';
import { API_SOURCE, TOPICS, type TopicNames } from '../events/topics.js';
import { keyReused } from '../jobs/job-service.js';
import type { OutboxRelay } from '../outbox/outbox-relay.js';
import type { MessageStore } from '../ports/message-store.js';
import { createCommitBatcher } from './commit-batcher.js';
import { createMessageSchemaRegistry, type MessageSchemaRegistry } from './message-schemas.js';

/** The type of a message posted without one. */
export const DEFAULT_MESSAGE_TYPE = 'message';

/** Options of {@link createMessageService}. */
export interface MessageServiceOptions {
  messages: MessageStore;
  /**
   * The relay publishing the outbox of `messages`: told of each commit, and asked whether the
   * backlog leaves room. Without one, events wait for a relay elsewhere to poll them.
   */
  relay?: Pick<OutboxRelay, 'claimAhead' | 'publish' | 'assertAccepting'>;
  /** @default an empty registry: any JSON object is accepted */
  schemas?: MessageSchemaRegistry;
  /**
   * Most posted messages waiting for their commit at once (the database is slow or away); past
   * it `post` rejects at once with `BACKLOG_FULL` (503, `Retry-After: 1`) instead of queueing
   * without bound. @default 1000
   */
  maxPendingWrites?: number;
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
  /**
   * The CloudEvent id the client gave (`ce-id`). The consumer receives the message under it,
   * and the same id from the same source again returns the stored message instead of storing a
   * second one.
   */
  eventId?: string | undefined;
  /** The CloudEvent time the client gave (`ce-time`, RFC 3339), kept on the published event. */
  eventTime?: string | undefined;
  /**
   * The client's `Idempotency-Key`: the same key with the same message returns the stored
   * one; with another message it rejects with `IDEMPOTENCY_KEY_REUSED`.
   */
  idempotencyKey?: string | undefined;
}

/** The API side of messages. */
export interface MessageService {
  /**
   * Validates the message and stores it as `received` together with its outgoing events, in
   * one transaction: `message.received` on the events topic for every watcher, the message itself
   * on the messages topic for the consumer (the relay publishes both). Rejects with
   * `VALIDATION_FAILED` (details: `{ type, issues }`), and with `BACKLOG_FULL` when the outbox is
   * at its limit.
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
  const { messages, relay } = options;
  const schemas = options.schemas ?? createMessageSchemaRegistry();
  const topics = options.topics ?? TOPICS;
  const logger = options.logger ?? silentLogger;
  const batcher = createCommitBatcher(messages, {
    maxPending: options.maxPendingWrites ?? 1000,
  });

  const get = async (id: string): Promise<StoredMessage> => {
    const message = await messages.get(id);
    if (!message) {
      throw new PlaytallyError('NOT_FOUND', `message ${id} not found`, { details: { id } });
    }
    return message;
  };

  const replay = async (key: string, fingerprint: string) => {
    const found = await messages.findIdempotencyKey(key);
    if (found === undefined) return undefined;
    if (found.fingerprint !== fingerprint) throw keyReused(key);
    return get(found.resourceId);
  };

  return {
    async post(input) {
      relay?.assertAccepting();
      const type = input.type ?? DEFAULT_MESSAGE_TYPE;
      if (!TYPE_PATTERN.test(type)) {
        throw invalid(
          'type',
          `message type "${type}" must be 1-128 letters, digits or . _ : / -, starting with a letter or digit`,
          { type },
        );
      }
      const { eventId, eventTime, idempotencyKey: key } = input;
      if (eventId !== undefined && (eventId.length === 0 || eventId.length > 256)) {
        throw invalid('ce-id', 'ce-id must be 1-256 characters', { eventId });
      }
      if (eventTime !== undefined && !RFC3339.test(eventTime)) {
        throw invalid('ce-time', `ce-time must be an RFC 3339 timestamp, got "${eventTime}"`, {
          eventTime,
        });
      }
      const source = input.source || API_SOURCE;
      const data = schemas.validate(type, input.data);
      const fingerprint =
        key === undefined
          ? undefined
          : createHash('sha256')
              .update(JSON.stringify([type, source, eventId ?? null, eventTime ?? null, data]))
              .digest('hex');
      if (key !== undefined && fingerprint !== undefined) {
        const original = await replay(key, fingerprint);
        if (original !== undefined) return original;
      }
      // A client's ce-id names the message within its source: the same pair maps to the same id.
      const id =
        eventId === undefined ? uuidv7() : uuidv5(`${source}\n${eventId}`, EVENT_ID_NAMESPACE);
      const message: NewMessage = { id, type, source, data, receivedAt: new Date().toISOString() };
      const received: StoredMessage = { ...message, status: 'received', consumedAt: null };
      const events = [
        // Watchers hear of it before the consumer can possibly report it consumed.
        messageReceivedEvent(received, topics),
        messageDeliveryEvent(received, topics, { id: eventId, time: eventTime }),
      ];
      const outbox = relay?.claimAhead(events) ?? events;
      let stored: StoredMessage;
      try {
        const inserted = await batcher.write({
          message,
          outbox,
          ...(key === undefined || fingerprint === undefined
            ? {}
            : { idempotency: { key, fingerprint } }),
        });
        stored = inserted.message;
        // A message stored before (the same ce-id again) wrote no events this time.
        if (inserted.created) relay?.publish(outbox);
      } catch (error) {
        if (!isPlaytallyError(error, 'CONFLICT') || key === undefined || fingerprint === undefined)
          throw error;
        const original = await replay(key, fingerprint);
        if (original === undefined) throw error;
        return original;
      }
      logger.debug({ messageId: stored.id, type }, 'message received');
      return stored;
    },

    get,

    list: (request) => messages.list(request),
  };
}

/** The namespace of message ids derived from a client's (source, ce-id). */
const EVENT_ID_NAMESPACE = '5b0d3b9e-6a53-4c0e-9d0b-2f1f5e7c9a41';

const RFC3339 = /^\d{4}-\d{2}-\d{2}[Tt ]\d{2}:\d{2}:\d{2}(\.\d+)?([Zz]|[+-]\d{2}:\d{2})$/;

function invalid(field: string, message: string, details: Record<string, unknown>): PlaytallyError {
  return new PlaytallyError('VALIDATION_FAILED', message, {
    details: { ...details, issues: [{ path: [field], message, code: 'custom' }] },
  });
}
