export * from './csv-appender.js';
export * from './footage-csv.js';
export * from './footage-handler.js';
export * from './footage-schema.js';
export * from './footage-system.js';
