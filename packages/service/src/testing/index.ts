export * from './store-contract/blob-store-contract.js';
export * from './store-contract/job-store-contract.js';
export * from './store-contract/message-store-contract.js';
