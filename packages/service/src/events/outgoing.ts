import { createCloudEvent } from '@playtally/transport';
import type { Job } from '../domain/job.js';
import type { StoredMessage } from '../domain/message.js';
import type { OutgoingEvent } from '../domain/outbox.js';
import {
  createJobEvent,
  createMessageEvent,
  EVENT_TYPES,
  type JobRequestedData,
} from './events.js';
import { API_SOURCE, type TopicNames } from './topics.js';

/** The `job.requested` a worker takes the job from, keyed by job id. */
export function jobRequestedEvent(job: Job, topics: TopicNames): OutgoingEvent {
  const data: JobRequestedData = { jobId: job.id, inputKey: job.inputKey };
  return {
    topic: topics.jobs,
    key: job.id,
    event: createCloudEvent({
      type: EVENT_TYPES.jobRequested,
      source: API_SOURCE,
      subject: job.id,
      data,
    }),
  };
}

/**
 * The `job.requested` of one part of a split job. Each part is its own task (subject
 * `<jobId>/parts/<index>`) with its own key, so parts spread over partitions and workers.
 */
export function jobPartRequestedEvent(
  job: Pick<Job, 'id' | 'inputKey'>,
  part: number,
  topics: TopicNames,
  source: string = API_SOURCE,
): OutgoingEvent {
  const data: JobRequestedData = { jobId: job.id, inputKey: job.inputKey, part };
  const subject = `${job.id}/parts/${part}`;
  return {
    topic: topics.jobs,
    key: subject,
    event: createCloudEvent({ type: EVENT_TYPES.jobRequested, source, subject, data }),
  };
}

/** What the client said about the CloudEvent of a posted message (binary-mode headers). */
export interface ClientEventAttributes {
  /** `ce-id`: kept as the published event's id. */
  readonly id?: string | undefined;
  /** `ce-time`: kept as the published event's time. */
  readonly time?: string | undefined;
}

/**
 * A posted message as the consumer receives it on the messages topic: the client's type and
 * source, its `ce-id` and `ce-time` when it sent them (else the message id and the time it was
 * received), and the stored message's id as `subject`, which is what consumers deduplicate by.
 */
export function messageDeliveryEvent(
  message: StoredMessage,
  topics: TopicNames,
  client: ClientEventAttributes = {},
): OutgoingEvent {
  return {
    topic: topics.messages,
    key: message.id,
    event: createCloudEvent({
      id: client.id ?? message.id,
      type: message.type,
      source: message.source,
      subject: message.id,
      data: message.data,
      time: client.time ?? message.receivedAt,
    }),
  };
}

/** `message.received` for every watcher of the events topic. */
export function messageReceivedEvent(message: StoredMessage, topics: TopicNames): OutgoingEvent {
  return {
    topic: topics.events,
    event: createMessageEvent(EVENT_TYPES.messageReceived, message, API_SOURCE),
  };
}

/** A `job.*` event of the API (queued, cancelled) for the events topic. */
export function apiJobEvent(
  type: typeof EVENT_TYPES.jobQueued | typeof EVENT_TYPES.jobCancelled,
  job: Job,
  topics: TopicNames,
): OutgoingEvent {
  return { topic: topics.events, event: createJobEvent(type, job, API_SOURCE) };
}
