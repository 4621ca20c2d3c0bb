export * from './amqp-message.js';
export * from './amqp-topology.js';
export * from './amqp-transport.js';
