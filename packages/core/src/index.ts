export * from './engine/index.js';
export * from './errors.js';
export * from './sizes/index.js';
