export * from './job.js';
export type * from './message.js';
export type * from './page.js';
