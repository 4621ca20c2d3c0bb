export type * from './blob-store.js';
export * from './fs-blob-store.js';
export type * from './job-store.js';
export * from './memory-job-store.js';
export * from './memory-message-store.js';
export type * from './message-store.js';
export * from './page-cursor.js';
export * from './sweep-stale-blobs.js';
export * from './timestamp.js';
