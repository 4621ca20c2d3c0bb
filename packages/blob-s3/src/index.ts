export * from './s3-blob-store.js';
export type { S3FailureReason } from './s3-errors.js';
export type { StaleUploadOptions } from './stale-uploads.js';
export * from './storage-url.js';
