export * from './canonical-example.js';
export * from './services.js';
export * from './store-contract/blob-store-contract.js';
export * from './store-contract/job-store-contract.js';
export * from './store-contract/message-store-contract.js';
export * from './transport-contract/index.js';
