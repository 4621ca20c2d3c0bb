export * from './redis-fields.js';
export * from './redis-transport.js';
