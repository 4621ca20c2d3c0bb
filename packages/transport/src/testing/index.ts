export * from './contract/index.js';
export * from './services.js';
