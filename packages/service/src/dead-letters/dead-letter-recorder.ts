import {
  type CloudEvent,
  createCloudEvent,
  DEAD_LETTER_ATTRIBUTES,
  deadLetterTopic,
  encodeCloudEvent,
  errorFields,
  type Logger,
  type Subscription,
  silentLogger,
  type Transport,
} from '@playtally/transport';
import { v5 as uuidv5 } from 'uuid';
import type { NewDeadLetter } from '../domain/dead-letter.js';
import { API_SOURCE, GROUPS, TOPICS, type TopicNames } from '../events/topics.js';
import type { DeadLetterStore } from '../ports/dead-letter-store.js';

/** The UUID v5 namespace of dead letter ids. */
const DEAD_LETTER_NAMESPACE = '6f1d3c8e-4f0a-5b7e-9c2d-1a8b7e6f5d40';

/** The event on the events topic announcing a recorded dead letter (for live views). */
export const DEAD_LETTER_RECORDED = 'deadletter.recorded';

/** What a `deadletter.recorded` event carries: the dead letter without its original event. */
export interface DeadLetterRecordedData {
  readonly deadLetter: Omit<NewDeadLetter, 'event'>;
}

/** Options of {@link createDeadLetterRecorder}. */
export interface DeadLetterRecorderOptions {
  transport: Transport;
  store: DeadLetterStore;
  /** @default TOPICS */
  topics?: TopicNames;
  /** Called with each recorded dead letter (e.g. to announce it). Its errors are logged. */
  onRecorded?: (deadLetter: NewDeadLetter) => void;
  /** @default () => new Date() */
  now?: () => Date;
  /** @default silentLogger */
  logger?: Logger;
}

/** The consumer that keeps dead letters in a {@link DeadLetterStore}. */
export interface DeadLetterRecorder {
  /** Subscribes to the dead-letter topics of the jobs and messages topics. Idempotent. */
  start(): Promise<void>;
  /** Stops consuming. Idempotent. */
  close(): Promise<void>;
}

/**
 * The topics whose dead letters the service records, with the group that reads each
 * dead-letter topic: the group of the original topic, for which the transport keeps them.
 */
export function deadLetterSources(topics: TopicNames): readonly { topic: string; group: string }[] {
  return [
    { topic: topics.jobs, group: GROUPS.workers },
    { topic: topics.messages, group: GROUPS.consumers },
  ];
}

/**
 * Turns a dead letter as it arrives on `<topic>.dead-letter` into the record to keep: the
 * transport's `deadletter*` attributes become the reason, group and attempts, and the rest is
 * the original event, kept in binary mode (attributes and exact body bytes) for a replay.
 */
export function toNewDeadLetter(topic: string, event: CloudEvent, at: Date): NewDeadLetter {
  const { attributes, body } = encodeCloudEvent(event);
  const original: Record<string, string> = { ...attributes };
  const reason = original[DEAD_LETTER_ATTRIBUTES.reason] ?? 'unknown';
  const group = original[DEAD_LETTER_ATTRIBUTES.group] ?? null;
  const attempts = Number.parseInt(original[DEAD_LETTER_ATTRIBUTES.attempts] ?? '', 10);
  for (const name of Object.values(DEAD_LETTER_ATTRIBUTES)) delete original[name];
  return {
    id: uuidv5(`${topic}\n${group ?? ''}\n${event.id}`, DEAD_LETTER_NAMESPACE),
    topic,
    group,
    reason,
    attempts: Number.isFinite(attempts) ? attempts : 0,
    eventId: event.id,
    eventType: event.type,
    event: { attributes: original, bodyBase64: Buffer.from(body).toString('base64') },
    deadLetteredAt: at.toISOString(),
  };
}

/**
 * Creates the consumer that persists every dead letter of the jobs and messages topics: it
 * reads `<topic>.dead-letter` in the group of the original topic (the transport keeps dead
 * letters for that group until they are read) and records each one with its reason, attempts,
 * group and original event, then announces it as `deadletter.recorded` on the events topic
 * (best effort). Recording is idempotent per (topic, group, event id), so a
 * redelivered dead letter is kept once; a failed write is retried by the transport.
 *
 * @example
 * ```ts
 * const recorder = createDeadLetterRecorder({ transport, store: createMemoryDeadLetterStore() });
 * await recorder.start();
 * ```
 */
export function createDeadLetterRecorder(options: DeadLetterRecorderOptions): DeadLetterRecorder {
  const { transport, store } = options;
  const topics = options.topics ?? TOPICS;
  const logger = options.logger ?? silentLogger;
  const now = options.now ?? (() => new Date());
  let subscriptions: Promise<Subscription[]> | undefined;
  let closing: Promise<void> | undefined;

  const recordFrom = (topic: string) => async (event: CloudEvent) => {
    const letter = toNewDeadLetter(topic, event, now());
    await store.record(letter);
    logger.warn(
      { topic, group: letter.group, eventId: letter.eventId, reason: letter.reason },
      'dead letter recorded',
    );
    try {
      options.onRecorded?.(letter);
    } catch (error) {
      logger.warn(errorFields(error), 'dead letter listener failed');
    }
    const { event: _original, ...summary } = letter;
    const data: DeadLetterRecordedData = { deadLetter: summary };
    await transport
      .publish(
        topics.events,
        createCloudEvent({
          type: DEAD_LETTER_RECORDED,
          source: API_SOURCE,
          subject: letter.id,
          data,
        }),
      )
      .catch((error: unknown) =>
        logger.warn(errorFields(error), 'could not announce the dead letter'),
      );
  };

  return {
    start() {
      subscriptions ??= Promise.all(
        deadLetterSources(topics).map(({ topic, group }) =>
          transport.subscribe(deadLetterTopic(topic), recordFrom(topic), {
            group,
            concurrency: 2,
          }),
        ),
      );
      return subscriptions.then(() => {});
    },
    close() {
      closing ??= (async () => {
        const active = await subscriptions?.catch(() => []);
        await Promise.all((active ?? []).map((subscription) => subscription.close()));
      })();
      return closing;
    },
  };
}
