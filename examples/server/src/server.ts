import { mkdir } from 'node:fs/promises';
import type { AddressInfo } from 'node:net';
import { dirname, resolve } from 'node:path';
import { type ServerType, serve } from '@hono/node-server';
import { createApp } from '@playtally/http';
import {
  createFsBlobStore,
  createJobWorker,
  createMessageConsumer,
  type MessageHandler,
  type MessageSchemaRegistry,
  requeueUnfinishedJobs,
  sweepStaleBlobWrites,
  topicNames,
} from '@playtally/service';
import { createSqlStores } from '@playtally/store-sql';
import { createTransport, type Logger, redactUrl } from '@playtally/transport';
import type { Mode, ServerConfig } from './config.js';

/** Extension points for applications built on the server (the footage example uses them). */
export interface ServerExtensions {
  /** Typed schemas for posted messages. */
  messageSchemas?: MessageSchemaRegistry;
  /** Work done for each consumed message before it is marked consumed. */
  messageHandler?: MessageHandler;
}

/** A started server. */
export interface RunningServer {
  /** `http://host:port` of the API, when this process serves it. */
  readonly url: string | undefined;
  /**
   * Stops in order: HTTP (no new requests), the worker and consumer (running jobs finish or
   * are handed back), the events relay, the transport, the database. Idempotent.
   */
  close(): Promise<void>;
}

/**
 * Starts the parts of playtally that `mode` names on the configured transport, database and
 * blob directory. Relative paths resolve against the current working directory.
 */
export async function startServer(
  config: ServerConfig,
  mode: Mode,
  logger: Logger,
  extensions: ServerExtensions = {},
): Promise<RunningServer> {
  const storageDir = resolve(config.storageDir);
  await mkdir(storageDir, { recursive: true });
  const sqliteFile = /^sqlite:(?!:memory:)(.+)$/i.exec(config.databaseUrl)?.[1];
  if (sqliteFile) await mkdir(dirname(resolve(sqliteFile)), { recursive: true });

  const stores = await createSqlStores({ url: config.databaseUrl });
  const transport = await createTransport(config.transportUrl, {
    importModule: (specifier) => import(specifier),
    logger: logger.child({ component: 'transport' }),
  }).catch(async (error: unknown) => {
    await stores.close();
    throw error;
  });
  const blobs = createFsBlobStore({ directory: storageDir });
  const topics = topicNames(config.topicPrefix);
  // The caller's logger carries the mode (main.ts binds it to every line): not repeated here.
  logger.info(
    { transport: redactUrl(config.transportUrl), database: stores.dialect, storageDir },
    'starting playtally',
  );
  const swept = await sweepStaleBlobWrites(storageDir);
  if (swept > 0) logger.info({ swept }, 'removed temporary files of interrupted blob writes');

  const closers: (() => Promise<void>)[] = [];
  let url: string | undefined;
  try {
    if (mode === 'all' || mode === 'worker') {
      const worker = createJobWorker({
        jobs: stores.jobs,
        blobs,
        transport,
        topics,
        concurrency: config.workerConcurrency,
        memoryBudget: config.memoryBudget,
        closeTimeoutMs: config.shutdownTimeoutMs,
        logger: logger.child({ component: 'worker' }),
        ...(config.tempDir ? { tempDir: resolve(config.tempDir) } : {}),
      });
      const consumer = createMessageConsumer({
        messages: stores.messages,
        transport,
        topics,
        logger: logger.child({ component: 'consumer' }),
        ...(extensions.messageHandler ? { handler: extensions.messageHandler } : {}),
      });
      await worker.start();
      await consumer.start();
      closers.push(
        () => worker.close(),
        () => consumer.close(),
      );
      if (!transport.capabilities.distributed) {
        // Nothing of a previous run survived in the in-process transport; the database did.
        const requeued = await requeueUnfinishedJobs({
          jobs: stores.jobs,
          transport,
          topics,
          logger,
        });
        if (requeued > 0) logger.info({ requeued }, 'requeued unfinished jobs of a previous run');
      }
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
        apiKey: config.apiKey,
        maxUploadBytes: config.maxUploadBytes,
        maxMessageBytes: config.maxMessageBytes,
        readinessChecks: { database: () => stores.ping() },
        logger: logger.child({ component: 'api' }),
        ...(extensions.messageSchemas ? { messageSchemas: extensions.messageSchemas } : {}),
      });
      await api.start();
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
    await shutdown(closers, transport, stores, logger);
    throw error;
  }

  logger.info({ url }, 'playtally ready');
  let closing: Promise<void> | undefined;
  return {
    url,
    close() {
      closing ??= shutdown(closers, transport, stores, logger);
      return closing;
    },
  };
}

async function shutdown(
  closers: readonly (() => Promise<void>)[],
  transport: { close(): Promise<void> },
  stores: { close(): Promise<void> },
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
