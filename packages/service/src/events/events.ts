import { type CloudEvent, createCloudEvent } from '@playtally/transport';
import type { Job } from '../domain/job.js';
import type { StoredMessage } from '../domain/message.js';

/** What `job.requested` carries: a reference to the upload, never the file. */
export interface JobRequestedData {
  readonly jobId: string;
  /** Blob key of the upload. */
  readonly inputKey: string;
  /**
   * On a split job: the part (0-based) to aggregate. Absent on a split job, the request is to
   * merge the parts once all are done (and to request again those that are not).
   */
  readonly part?: number;
}

/**
 * A job as events and the HTTP API show it: everything but the blob keys, which are internal.
 */
export type JobSnapshot = Omit<Job, 'inputKey' | 'resultKey'>;

/** What every `job.*` event on the events topic carries. */
export interface JobEventData {
  readonly job: JobSnapshot;
}

/** What every `message.*` event on the events topic carries. */
export interface MessageEventData {
  readonly message: StoredMessage;
}

/** Event types on the jobs topic and the events topic. */
export const EVENT_TYPES = {
  /** Jobs topic: a worker should process this job. */
  jobRequested: 'job.requested',
  /** Events topic: the job was accepted and waits for a worker. */
  jobQueued: 'job.queued',
  /** Events topic: a worker started (or restarted) the job. */
  jobStarted: 'job.started',
  /** Events topic: bytes and rows read so far (at least every second or every 5 %). */
  jobProgress: 'job.progress',
  jobCompleted: 'job.completed',
  jobFailed: 'job.failed',
  jobCancelled: 'job.cancelled',
  /** Events topic: a message was stored and published. */
  messageReceived: 'message.received',
  /** Events topic: the consumer handled a message. */
  messageConsumed: 'message.consumed',
} as const;

/** The `type` of a `job.*` event on the events topic. */
export type JobEventType =
  | typeof EVENT_TYPES.jobQueued
  | typeof EVENT_TYPES.jobStarted
  | typeof EVENT_TYPES.jobProgress
  | typeof EVENT_TYPES.jobCompleted
  | typeof EVENT_TYPES.jobFailed
  | typeof EVENT_TYPES.jobCancelled;

/** The `type` of a `message.*` event on the events topic. */
export type MessageEventType =
  | typeof EVENT_TYPES.messageReceived
  | typeof EVENT_TYPES.messageConsumed;

/** Drops the blob keys from a job. */
export function toJobSnapshot(job: Job): JobSnapshot {
  const { inputKey: _input, resultKey: _result, ...snapshot } = job;
  return snapshot;
}

/** A `job.*` event for the events topic; its subject is the job id. */
export function createJobEvent(
  type: JobEventType,
  job: Job,
  source: string,
): CloudEvent<JobEventData> {
  return createCloudEvent({ type, source, subject: job.id, data: { job: toJobSnapshot(job) } });
}

/** A `message.*` event for the events topic; its subject is the message id. */
export function createMessageEvent(
  type: MessageEventType,
  message: StoredMessage,
  source: string,
): CloudEvent<MessageEventData> {
  return createCloudEvent({ type, source, subject: message.id, data: { message } });
}

/** True when `event` is a `job.*` event of the events topic. */
export function isJobEvent(event: CloudEvent): event is CloudEvent<JobEventData> {
  return (
    event.type.startsWith('job.') &&
    typeof event.data === 'object' &&
    event.data !== null &&
    'job' in event.data
  );
}

/** True when `event` is a `message.*` event of the events topic. */
export function isMessageEvent(event: CloudEvent): event is CloudEvent<MessageEventData> {
  return (
    event.type.startsWith('message.') &&
    typeof event.data === 'object' &&
    event.data !== null &&
    'message' in event.data
  );
}
