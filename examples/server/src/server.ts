import { mkdir } from 'node:fs/promises';
import type { AddressInfo } from 'node:net';
import { dirname, resolve } from 'node:path';
import { type ServerType, serve } from '@hono/node-server';
import { createApp } from '@playtally/http';
import {
  createDatabaseGate,
  createJobWorker,
  createMessageConsumer,
  createSweeper,
  createWorkerPresence,
  type MessageHandler,
  type MessageSchemaRegistry,
  topicNames,
} from '@playtally/service';
import { createSqlStores } from '@playtally/store-sql';
import { createTransport, type Logger, redactUrl } from '@playtally/transport';
import { type BlobStorage, openBlobStorage } from './blob-storage.js';
import type { Mode, ServerConfig } from './config.js';

/** Extension points for applications built on the server (the footage example uses them). */
export interface ServerExtensions {
  /** Typed schemas for posted messages. */
  messageSchemas?: MessageSchemaRegistry;
  /** Work done for each consumed message before it is marked consumed. */
  messageHandler?: MessageHandler;
  /** The version workers announce. @default the server's version */
  version?: string;
}

/** The version workers announce unless told otherwise. */
const SERVER_VERSION = '0.1.0';

/** A started server. */
export interface RunningServer {
  /** `http://host:port` of the API, when this process serves it. */
  readonly url: string | undefined;
  /**
   * Stops in order: HTTP (no new requests), the worker and consumer (running jobs finish or
   * are handed back), the events relay, the transport, the database, the blob store. Idempotent.
   */
  close(): Promise<void>;
}

/**
 * Starts the parts of playtally that `mode` names on the configured transport, database and
 * blob storage (a directory or a bucket). Relative paths resolve against the current working
 * directory.
 */
export async function startServer(
  config: ServerConfig,
  mode: Mode,
  logger: Logger,
  extensions: ServerExtensions = {},
): Promise<RunningServer> {
  const storage = await openBlobStorage(config.storage, logger);
  const sqliteFile = /^sqlite:(?!:memory:)(.+)$/i.exec(config.databaseUrl)?.[1];
  const stores = await (async () => {
    if (sqliteFile) await mkdir(dirname(resolve(sqliteFile)), { recursive: true });
    return createSqlStores({ url: config.databaseUrl });
  })().catch(async (error: unknown) => {
    await storage.close();
    throw error;
  });
  const transport = await createTransport(config.transportUrl, {
    importModule: (specifier) => import(specifier),
    logger: logger.child({ component: 'transport' }),
  }).catch(async (error: unknown) => {
    await stores.close();
    await storage.close();
    throw error;
  });
  const { blobs } = storage;
  const topics = topicNames(config.topicPrefix);
  // The caller's logger carries the mode (main.ts binds it to every line): not repeated here.
  logger.info(
    {
      transport: redactUrl(config.transportUrl),
      database: stores.dialect,
      storage: storage.description,
    },
    'starting playtally',
  );
  const tempDir = config.tempDir ? resolve(config.tempDir) : undefined;
  // Leftovers of processes that died (spill folders, interrupted writes, orphan uploads) and
  // results past their time-to-live: now, then every sweep interval.
  const sweeper = createSweeper({
    jobs: stores.jobs,
    blobs,
    ...(config.storage.kind === 'file' ? { storageDir: resolve(config.storage.directory) } : {}),
    resultTtlMs: config.resultTtlMs,
    intervalMs: config.sweepIntervalMs,
    logger: logger.child({ component: 'sweeper' }),
    ...(tempDir === undefined ? {} : { tempDir }),
  });
  await sweeper.runOnce();
  // While the database is away, workers hold their tasks instead of failing them.
  const gate = createDatabaseGate({
    probe: () => stores.ping(),
    logger: logger.child({ component: 'database' }),
  });

  const closers: (() => Promise<void>)[] = [() => sweeper.close()];
  let url: string | undefined;
  try {
    if (mode === 'all' || mode === 'worker') {
      const worker = createJobWorker({
        jobs: stores.jobs,
        blobs,
        transport,
        topics,
        gate,
        concurrency: config.workerConcurrency,
        memoryBudget: config.memoryBudget,
        closeTimeoutMs: config.shutdownTimeoutMs,
        leaseTtlMs: config.jobLeaseMs,
        logger: logger.child({ component: 'worker' }),
        ...(tempDir === undefined ? {} : { tempDir }),
      });
      const consumer = createMessageConsumer({
        messages: stores.messages,
        transport,
        topics,
        gate,
        logger: logger.child({ component: 'consumer' }),
        ...(extensions.messageHandler ? { handler: extensions.messageHandler } : {}),
      });
      await worker.start();
      await consumer.start();
      const presence = createWorkerPresence({
        transport,
        topics,
        concurrency: config.workerConcurrency,
        heartbeatMs: config.workerHeartbeatMs,
        version: extensions.version ?? SERVER_VERSION,
        activity: () => ({
          activeJobs: worker.running(),
          jobs: worker.stats(),
          messages: consumer.stats(),
        }),
        logger: logger.child({ component: 'presence' }),
      });
      await presence.start();
      closers.push(
        () => worker.close(),
        () => consumer.close(),
        // After the work: the goodbye carries the final counts.
        () => presence.close(),
      );
    }
    if (!transport.capabilities.distributed && mode !== 'all') {
      logger.warn(
        `${config.transportUrl} lives inside one process: a separate ${mode === 'api' ? 'worker' : 'API'} cannot reach this one; use a broker or mode all`,
      );
    }
    if (mode === 'all' || mode === 'api') {
      const api = createApp({
        jobs: stores.jobs,
        messages: stores.messages,
        blobs,
        transport,
        topics,
        deadLetters: stores.deadLetters,
        apiKey: config.apiKey,
        maxUploadBytes: config.maxUploadBytes,
        splitBytes: config.splitBytes,
        maxMessageBytes: config.maxMessageBytes,
        uploadIdleTimeoutMs: config.uploadIdleTimeoutMs,
        maxConcurrentUploads: config.maxConcurrentUploads,
        maxOutboxBacklog: config.outboxMaxBacklog,
        maxPendingMessageWrites: config.messageMaxPending,
        maxEventBufferedBytes: config.eventsMaxBufferedBytes,
        outboxLeaseMs: config.outboxLeaseMs,
        reconciler: {
          olderThanMs: config.reconcileAfterMs,
          intervalMs: config.reconcileIntervalMs,
        },
        // `storage` comes from the blob store's own ping (a directory must accept a write).
        readinessChecks: { database: () => stores.ping() },
        logger: logger.child({ component: 'api' }),
        ...(extensions.messageSchemas ? { messageSchemas: extensions.messageSchemas } : {}),
      });
      await api.start();
      if (!transport.capabilities.distributed && mode === 'all') {
        // Nothing of a previous run survived in the in-process transport, and no other process
        // can be running its jobs: whatever the database says is unfinished is published again.
        const counts = await api.reconciler?.runOnce({ olderThanMs: 0, ignoreLeases: true });
        if (counts && counts.jobs + counts.messages > 0) {
          logger.info({ ...counts }, 'republished the unfinished work of a previous run');
        }
        api.relay.notify();
      }
      const server = await listen(api.app.fetch, config.host, config.port);
      api.injectWebSocket(server);
      const address = server.address() as AddressInfo;
      const host = address.family === 'IPv6' ? `[${address.address}]` : address.address;
      url = `http://${host}:${address.port}`;
      logger.info({ url, apiKey: config.apiKey ? 'required' : 'off' }, 'playtally API listening');
      // First in the shutdown order: stop taking requests before anything else goes away.
      closers.unshift(async () => {
        const closed = closeHttp(server);
        // Upgraded WebSocket connections would hold the server open: disconnect them too.
        await api.close();
        await closed;
      });
    }
  } catch (error) {
    await shutdown(closers, transport, stores, storage, logger);
    throw error;
  }

  sweeper.start();
  logger.info({ url }, 'playtally ready');
  let closing: Promise<void> | undefined;
  return {
    url,
    close() {
      closing ??= shutdown(closers, transport, stores, storage, logger);
      return closing;
    },
  };
}

async function shutdown(
  closers: readonly (() => Promise<void>)[],
  transport: { close(): Promise<void> },
  stores: { close(): Promise<void> },
  storage: BlobStorage,
  logger: Logger,
): Promise<void> {
  for (const close of closers) {
    await close().catch((error: unknown) => logger.error({ err: error }, 'error while closing'));
  }
  await transport
    .close()
    .catch((error: unknown) => logger.error({ err: error }, 'error closing the transport'));
  await stores
    .close()
    .catch((error: unknown) => logger.error({ err: error }, 'error closing the database'));
  await storage
    .close()
    .catch((error: unknown) => logger.error({ err: error }, 'error closing the blob store'));
  logger.info('playtally stopped');
}

function listen(
  fetch: (request: Request) => Response | Promise<Response>,
  hostname: string,
  port: number,
): Promise<ServerType> {
  return new Promise((resolvePromise, reject) => {
    const server = serve({ fetch, hostname, port });
    server.once('error', reject);
    server.once('listening', () => {
      server.off('error', reject);
      resolvePromise(server);
    });
  });
}

function closeHttp(server: ServerType): Promise<void> {
  return new Promise((resolvePromise) => {
    server.close(() => resolvePromise());
    // Idle keep-alive connections would hold close() open; requests in flight still finish.
    if ('closeIdleConnections' in server) server.closeIdleConnections();
  });
}
