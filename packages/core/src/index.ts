export * from './domain/index.js';
export * from './engine/index.js';
export * from './errors.js';
export * from './service/index.js';
export * from './stores/index.js';
export * from './transport/index.js';
