import type { Server } from 'node:http';
import type { Http2SecureServer, Http2Server } from 'node:http2';
import { createNodeWebSocket } from '@hono/node-ws';
import { OpenAPIHono } from '@hono/zod-openapi';
import {
  type BlobStore,
  createEventHub,
  createJobService,
  createMessageService,
  type EventHub,
  ensureTopics,
  type JobStore,
  type MessageSchemaRegistry,
  type MessageStore,
  TOPICS,
  type TopicNames,
} from '@playtally/service';
import { type Logger, silentLogger, type Transport } from '@playtally/transport';
import { createServiceMetrics, type ServiceMetrics } from './metrics/service-metrics.js';
import { apiKeyAuth } from './middleware/api-key.js';
import { createErrorHandler, notFoundHandler } from './middleware/errors.js';
import { requestMetrics } from './middleware/request-metrics.js';
import { refuseUnkeyedUpgrades } from './middleware/upgrade-auth.js';
import type { RouteDeps } from './routes/deps.js';
import { registerDocRoutes } from './routes/docs.js';
import { registerEventRoutes } from './routes/events.js';
import { registerHealthRoutes } from './routes/health.js';
import { registerJobRoutes } from './routes/jobs.js';
import { registerMessageRoutes } from './routes/messages.js';
import { registerMetricsRoutes } from './routes/metrics.js';
import { validationHook } from './routes/validation-hook.js';
import { createWebRoutes } from './web/index.js';

/** Options of {@link createApp}. */
export interface CreateAppOptions {
  jobs: JobStore;
  messages: MessageStore;
  blobs: BlobStore;
  transport: Transport;
  /** Typed schemas per message type. @default none: any JSON object */
  messageSchemas?: MessageSchemaRegistry;
  /** When set, every `/v1` route requires it (`Authorization: Bearer` or `X-API-Key`). @default undefined */
  apiKey?: string | undefined;
  /** Largest CSV upload accepted. @default 1073741824 (1 GiB) */
  maxUploadBytes?: number;
  /** Largest message body accepted. @default 65536 (64 KiB) */
  maxMessageBytes?: number;
  /**
   * Checks `/readyz` runs besides the transport's `ping` and the blob store's (as `storage`,
   * when the store has one), e.g. `{ database: stores.ping }`.
   * @default {}
   */
  readinessChecks?: Record<string, () => Promise<unknown>>;
  /** Serve the web page at `/`. @default true */
  webPage?: boolean;
  /** @default TOPICS */
  topics?: TopicNames;
  /** @default silentLogger */
  logger?: Logger;
  /** Version shown in the OpenAPI document. @default '0.1.0' */
  version?: string;
}

/** The API: a Hono app plus what it needs to run on a Node server. */
export interface PlaytallyApp {
  /** The Hono app: pass `app.fetch` to a server, or call `app.request()` in tests. */
  readonly app: OpenAPIHono;
  /** Attaches WebSocket upgrades (`/v1/events`) to the Node server serving `app`. */
  injectWebSocket(server: Server | Http2Server | Http2SecureServer): void;
  /** The relay of the events topic (WebSocket clients and metrics listen to it). */
  readonly hub: EventHub;
  readonly metrics: ServiceMetrics;
  /** Ensures the topics and subscribes to the events topic. Call before serving. */
  start(): Promise<void>;
  /** Disconnects WebSocket clients and closes the events subscription. Idempotent. */
  close(): Promise<void>;
}

/**
 * Creates the playtally HTTP API on the given stores and transport: the REST routes, the
 * events WebSocket, `/healthz`, `/readyz`, `/metrics`, `/openapi.json`, `/docs` and the web
 * page. It does not own its dependencies: closing the app leaves the stores and transport open.
 *
 * @example
 * ```ts
 * import { serve } from '@hono/node-server';
 * import { createApp } from '@playtally/http';
 * const api = createApp({ jobs, messages, blobs, transport });
 * await api.start();
 * const server = serve({ fetch: api.app.fetch, port: 3000 });
 * api.injectWebSocket(server);
 * ```
 */
export function createApp(options: CreateAppOptions): PlaytallyApp {
  const logger = options.logger ?? silentLogger;
  const topics = options.topics ?? TOPICS;
  const { transport } = options;
  const app = new OpenAPIHono({ defaultHook: validationHook });
  const { upgradeWebSocket, injectWebSocket, wss } = createNodeWebSocket({ app });
  const hub = createEventHub({ transport, topics, logger });
  const metrics = createServiceMetrics(options.jobs);
  const deps: RouteDeps = {
    jobs: createJobService({
      jobs: options.jobs,
      blobs: options.blobs,
      transport,
      topics,
      logger,
      ...(options.maxUploadBytes === undefined ? {} : { maxUploadBytes: options.maxUploadBytes }),
    }),
    messages: createMessageService({
      messages: options.messages,
      transport,
      topics,
      logger,
      ...(options.messageSchemas ? { schemas: options.messageSchemas } : {}),
    }),
    hub,
    metrics,
    logger,
    maxUploadBytes: options.maxUploadBytes ?? 1024 ** 3,
    maxMessageBytes: options.maxMessageBytes ?? 64 * 1024,
    readinessChecks: {
      transport: () => transport.ping(),
      ...storageCheck(options.blobs),
      ...options.readinessChecks,
    },
  };

  app.onError(createErrorHandler(logger));
  app.notFound(notFoundHandler);
  app.use('*', requestMetrics(metrics.httpDuration));
  if (options.apiKey) app.use('/v1/*', apiKeyAuth(options.apiKey));

  registerJobRoutes(app, deps);
  registerMessageRoutes(app, deps);
  registerEventRoutes(app, deps, upgradeWebSocket);
  registerHealthRoutes(app, deps);
  registerMetricsRoutes(app, deps);
  registerDocRoutes(app, options.version ?? '0.1.0');
  if (options.webPage !== false) app.route('/', createWebRoutes());

  let stopMetrics: (() => void) | undefined;
  let starting: Promise<void> | undefined;
  let closing: Promise<void> | undefined;
  return {
    app,
    injectWebSocket: refuseUnkeyedUpgrades(options.apiKey, injectWebSocket),
    hub,
    metrics,
    start() {
      starting ??= (async () => {
        await ensureTopics(transport, topics);
        stopMetrics = metrics.follow(hub);
        await hub.start();
      })();
      return starting;
    },
    close() {
      closing ??= (async () => {
        for (const client of wss.clients) client.close(1001, 'server shutting down');
        stopMetrics?.();
        await hub.close();
      })();
      return closing;
    },
  };
}

/** `/readyz`'s `storage` check, for blob stores that can tell (a bucket, a directory). */
function storageCheck(blobs: BlobStore): Record<string, () => Promise<unknown>> {
  const { ping } = blobs;
  return ping === undefined ? {} : { storage: () => ping.call(blobs) };
}
