export type * from './dead-letter.js';
export * from './job.js';
export * from './job-part.js';
export type * from './message.js';
export type * from './outbox.js';
export type * from './page.js';
