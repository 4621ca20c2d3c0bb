export type {
  AggregateProgress,
  AggregateStatistics,
  ByteSource,
  InvalidRowPolicy,
  RejectedRow,
} from '@playtally/core';
export { isUnrecoverableError, UnrecoverableError } from '@playtally/transport';
export * from './domain/index.js';
export * from './errors.js';
export * from './events/event-hub.js';
export * from './events/events.js';
export * from './events/topics.js';
export * from './jobs/aggregate-to-blob.js';
export * from './jobs/file-name.js';
export * from './jobs/job-service.js';
export * from './jobs/job-worker.js';
export * from './jobs/progress-throttle.js';
export * from './jobs/requeue-jobs.js';
export * from './messages/message-consumer.js';
export * from './messages/message-schemas.js';
export * from './messages/message-service.js';
export type * from './ports/blob-store.js';
export type * from './ports/job-store.js';
export type * from './ports/message-store.js';
export * from './stores/blob-keys.js';
export * from './stores/blob-range.js';
export * from './stores/expected-bytes.js';
export * from './stores/fs-blob-store.js';
export * from './stores/memory-job-store.js';
export * from './stores/memory-message-store.js';
export * from './stores/page-cursor.js';
export * from './stores/sweep-stale-blobs.js';
export * from './stores/timestamp.js';
export * from './worker/create-worker.js';
