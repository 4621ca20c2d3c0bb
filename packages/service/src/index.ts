export type {
  AggregateProgress,
  AggregateStatistics,
  ByteSource,
  InvalidRowPolicy,
  RejectedRow,
} from '@playtally/core';
export type { CloudEvent } from '@playtally/transport';
export { isUnrecoverableError, UnrecoverableError } from '@playtally/transport';
export * from './dead-letters/dead-letter-recorder.js';
export * from './dead-letters/dead-letter-service.js';
export * from './domain/index.js';
export * from './errors.js';
export * from './events/event-hub.js';
export * from './events/events.js';
export * from './events/outgoing.js';
export * from './events/topics.js';
export * from './jobs/aggregate-to-blob.js';
export * from './jobs/file-name.js';
export * from './jobs/job-service.js';
export * from './jobs/job-worker.js';
export * from './jobs/progress-throttle.js';
export * from './jobs/song-rows.js';
export { DEFAULT_SPLIT_BYTES } from './jobs/split-plan.js';
export * from './messages/message-consumer.js';
export * from './messages/message-schemas.js';
export * from './messages/message-service.js';
export * from './outbox/outbox-relay.js';
export * from './outbox/reconciler.js';
export type * from './ports/blob-store.js';
export type * from './ports/dead-letter-store.js';
export type * from './ports/job-store.js';
export type * from './ports/message-store.js';
export type * from './ports/outbox-store.js';
export * from './stores/blob-keys.js';
export * from './stores/blob-range.js';
export * from './stores/expected-bytes.js';
export * from './stores/fs-blob-store.js';
export * from './stores/memory-dead-letter-store.js';
export * from './stores/memory-job-store.js';
export * from './stores/memory-message-store.js';
export * from './stores/memory-outbox-store.js';
export * from './stores/page-cursor.js';
export * from './stores/storage-probe.js';
export * from './stores/timestamp.js';
export * from './sweepers/expire-results.js';
export * from './sweepers/spill-folder.js';
export * from './sweepers/sweep-orphan-uploads.js';
export * from './sweepers/sweep-stale-blobs.js';
export * from './sweepers/sweeper.js';
export * from './worker/create-worker.js';
export * from './worker/database-gate.js';
export * from './workers/worker-presence.js';
export * from './workers/worker-registry.js';
export * from './workers/worker-status.js';
