import { randomUUID } from 'node:crypto';
import { rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createApp, type PlaytallyApp } from '@playtally/http';
import {
  createFsBlobStore,
  createJobWorker,
  createMemoryJobStore,
  createMemoryMessageStore,
  createMessageConsumer,
  createMessageSchemaRegistry,
  type MessageConsumer,
  type MessageStore,
} from '@playtally/service';
import {
  createMemoryTransport,
  type Logger,
  silentLogger,
  type Transport,
} from '@playtally/transport';
import { createFootageHandler } from './footage-handler.js';
import { FOOTAGE_MESSAGE_TYPE, footageMessageSchema } from './footage-schema.js';

/** Options of {@link createFootageSystem}. */
export interface FootageSystemOptions {
  /** The CSV file the consumer appends prediction rows to. */
  output: string;
  /** @default a new memory transport, closed with the system */
  transport?: Transport;
  /** @default a new memory message store, closed with the system */
  messages?: MessageStore;
  /** Messages the consumer handles at once. @default 4 */
  consumerConcurrency?: number;
  /** @default silentLogger */
  logger?: Logger;
}

/** The footage flow in one process: the HTTP API and the consumer writing the CSV. */
export interface FootageSystem {
  /** The playtally HTTP API with the footage schema registered. */
  readonly api: PlaytallyApp;
  readonly transport: Transport;
  readonly messages: MessageStore;
  /** The message consumer running the footage handler. */
  readonly consumer: MessageConsumer;
  /** Starts the API (topics, events relay) and the consumer. */
  start(): Promise<void>;
  /** Stops the consumer (letting in-flight messages finish), the API, then what it created. */
  close(): Promise<void>;
}

/**
 * Composes `@playtally/http`'s app with the footage schema (registered for the message type
 * `footage`, so `POST /v1/messages?type=footage` answers 400 with zod's issues when the body
 * does not match) and a message consumer whose handler appends one CSV row per prediction to
 * `output`. Stores and transport default to the in-memory ones; the job routes exist but have no
 * worker here.
 *
 * @example
 * ```ts
 * const system = createFootageSystem({ output: './data/footage.csv' });
 * await system.start();
 * const response = await system.api.app.request('/v1/messages?type=footage', { method: 'POST', ... });
 * ```
 */
export function createFootageSystem(options: FootageSystemOptions): FootageSystem {
  const logger = options.logger ?? silentLogger;
  const transport = options.transport ?? createMemoryTransport();
  const messages = options.messages ?? createMemoryMessageStore();
  const jobs = createMemoryJobStore();
  // The app keeps playtally's CSV job routes working beside the footage flow; uploads live in a
  // temporary directory (created on first write only) removed on close.
  const blobsDirectory = join(tmpdir(), `playtally-footage-${randomUUID()}`);
  const blobs = createFsBlobStore({ directory: blobsDirectory });
  const messageSchemas = createMessageSchemaRegistry().register(
    FOOTAGE_MESSAGE_TYPE,
    footageMessageSchema,
  );
  const api = createApp({ jobs, messages, blobs, transport, messageSchemas, logger });
  const worker = createJobWorker({ jobs, blobs, transport, logger });
  const consumer = createMessageConsumer({
    messages,
    transport,
    handler: createFootageHandler({ output: options.output }),
    ...(options.consumerConcurrency === undefined
      ? {}
      : { concurrency: options.consumerConcurrency }),
    logger,
  });

  let closing: Promise<void> | undefined;
  return {
    api,
    transport,
    messages,
    consumer,
    async start() {
      await api.start();
      await worker.start();
      await consumer.start();
    },
    close() {
      closing ??= (async () => {
        await consumer.close();
        await worker.close();
        await api.close();
        if (!options.transport) await transport.close();
        if (!options.messages) await messages.close();
        await jobs.close();
        await rm(blobsDirectory, { recursive: true, force: true });
      })();
      return closing;
    },
  };
}
