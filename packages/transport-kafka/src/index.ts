export { HEADER_PREFIX } from './headers-codec.js';
export * from './kafka-transport.js';
export type { KafkaLogLevel, KafkaTransportOptions } from './options.js';
export { kafkaGroupId } from './topic-admin.js';
