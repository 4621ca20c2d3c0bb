export * from './create-app.js';
export type * from './errors.js';
export * from './metrics/service-metrics.js';
export * from './middleware/api-key.js';
export * from './middleware/errors.js';
export * from './routes/events.js';
export * from './upload/content-disposition.js';
export * from './upload/multipart.js';
export * from './web/index.js';
