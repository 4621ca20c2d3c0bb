import type { Server } from 'node:http';
import type { Http2SecureServer, Http2Server } from 'node:http2';
import { createNodeWebSocket } from '@hono/node-ws';
import { OpenAPIHono } from '@hono/zod-openapi';
import {
  type BlobStore,
  createDeadLetterRecorder,
  createDeadLetterService,
  createEventHub,
  createJobService,
  createMemoryDeadLetterStore,
  createMessageService,
  createOutboxRelay,
  createReconciler,
  createWorkerRegistry,
  type DeadLetterRecorder,
  type DeadLetterStore,
  type EventHub,
  ensureTopics,
  type JobStore,
  type MessageSchemaRegistry,
  type MessageStore,
  type OutboxRelay,
  type OutboxStore,
  type Reconciler,
  TOPICS,
  type TopicNames,
  type WorkerRegistry,
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
import { registerSystemRoutes } from './routes/system.js';
import { validationHook } from './routes/validation-hook.js';
import { queueFigures } from './system/queue-figures.js';
import { createUploadLimiter } from './upload/upload-guard.js';
import { createWebRoutes } from './web/index.js';

/** Options of {@link createApp}. */
export interface CreateAppOptions {
  jobs: JobStore;
  messages: MessageStore;
  blobs: BlobStore;
  transport: Transport;
  /**
   * Where the dead letters of the jobs and messages topics are recorded (`stores.deadLetters`
   * of `@playtally/store-sql`). @default an in-memory store
   */
  deadLetters?: DeadLetterStore;
  /** Typed schemas per message type. @default none: any JSON object */
  messageSchemas?: MessageSchemaRegistry;
  /** When set, every `/v1` route requires it (`Authorization: Bearer` or `X-API-Key`). @default undefined */
  apiKey?: string | undefined;
  /** Largest CSV upload accepted. @default 1073741824 (1 GiB) */
  maxUploadBytes?: number;
  /**
   * Uploads larger than this are split into parts that several workers aggregate at once (see
   * `JobServiceOptions.splitBytes`). @default 134217728 (128 MiB)
   */
  splitBytes?: number;
  /** Largest message body accepted. @default 65536 (64 KiB) */
  maxMessageBytes?: number;
  /**
   * Bytes a `/v1/events` WebSocket client may leave unread (events sent, not yet taken by the
   * client); a client past it is disconnected (close code 1013 when the socket still takes the
   * frame) instead of holding memory without bound. @default 8388608 (8 MiB)
   */
  maxEventBufferedBytes?: number;
  /** An upload that sends nothing for this long is stopped with 408. @default 30000 */
  uploadIdleTimeoutMs?: number;
  /** Uploads in progress at once; past it `POST /v1/jobs` answers 503. @default 32 */
  maxConcurrentUploads?: number;
  /**
   * Past this many events waiting in the outbox (the broker is away or slow), posting answers
   * 503 with `Retry-After`. @default 10000
   */
  maxOutboxBacklog?: number;
  /**
   * Past this many posted messages waiting for their commit (the database is slow or away),
   * `POST /v1/messages` answers 503 with `Retry-After` instead of queueing without bound.
   * @default 1000
   */
  maxPendingMessageWrites?: number;
  /**
   * How long the relay's claim hides outbox entries from other relays: entries claimed by a
   * process that died are published by another after this. @default 60000
   */
  outboxLeaseMs?: number;
  /**
   * The reconciler this app runs: jobs `queued` and messages `received` for longer than
   * `olderThanMs` are published again, checked every `intervalMs`; `false` runs none.
   * @default { olderThanMs: 300000, intervalMs: 60000 }
   */
  reconciler?: { olderThanMs?: number; intervalMs?: number } | false;
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
  /** The relay publishing the outbox of the stores (one per distinct outbox). */
  readonly relay: OutboxRelay;
  /** The reconciler, unless disabled. */
  readonly reconciler: Reconciler | undefined;
  readonly metrics: ServiceMetrics;
  /** The live registry of worker processes (`GET /v1/workers`). */
  readonly workers: WorkerRegistry;
  /** The consumer recording dead letters (`GET /v1/dead-letters`). */
  readonly deadLetterRecorder: DeadLetterRecorder;
  /**
   * Ensures the topics, subscribes to the events topic, and starts the outbox relay, the
   * reconciler and the dead-letter recorder. Call before serving.
   */
  start(): Promise<void>;
  /**
   * Disconnects WebSocket clients, closes the events subscription, stops the reconciler and the
   * relay (pending events stay in the outbox for the next start). Idempotent.
   */
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
  // One relay per distinct outbox (the SQL stores share one; memory stores may have one each).
  const relays = new Map<OutboxStore, OutboxRelay>();
  for (const outbox of [options.jobs.outbox, options.messages.outbox]) {
    if (relays.has(outbox)) continue;
    relays.set(
      outbox,
      createOutboxRelay({
        outbox,
        transport,
        maxBacklog: options.maxOutboxBacklog ?? 10_000,
        ...(options.outboxLeaseMs === undefined ? {} : { leaseMs: options.outboxLeaseMs }),
        onPublished: (count) => metrics.countPublished(count),
        logger: logger.child({ component: 'outbox' }),
      }),
    );
  }
  const relay = combineRelays([...relays.values()]);
  const workers = createWorkerRegistry();
  const deadLetters = options.deadLetters ?? createMemoryDeadLetterStore();
  const deadLetterRecorder = createDeadLetterRecorder({
    transport,
    store: deadLetters,
    topics,
    logger: logger.child({ component: 'dead-letters' }),
  });
  const metrics = createServiceMetrics(
    options.jobs,
    { backlog: () => relay.refreshBacklog() },
    workers,
  );
  const reconciler =
    options.reconciler === false
      ? undefined
      : createReconciler({
          jobs: options.jobs,
          messages: options.messages,
          topics,
          ...(options.reconciler?.olderThanMs === undefined
            ? {}
            : { olderThanMs: options.reconciler.olderThanMs }),
          ...(options.reconciler?.intervalMs === undefined
            ? {}
            : { intervalMs: options.reconciler.intervalMs }),
          onRepublished: (counts) => {
            metrics.countRepublished(counts);
            relay.notify();
          },
          logger: logger.child({ component: 'reconciler' }),
        });
  const deps: RouteDeps = {
    jobs: createJobService({
      jobs: options.jobs,
      blobs: options.blobs,
      relay: relays.get(options.jobs.outbox)!,
      topics,
      logger,
      ...(options.maxUploadBytes === undefined ? {} : { maxUploadBytes: options.maxUploadBytes }),
      ...(options.splitBytes === undefined ? {} : { splitBytes: options.splitBytes }),
    }),
    messages: createMessageService({
      messages: options.messages,
      relay: relays.get(options.messages.outbox)!,
      topics,
      logger,
      ...(options.messageSchemas ? { schemas: options.messageSchemas } : {}),
      ...(options.maxPendingMessageWrites === undefined
        ? {}
        : { maxPendingWrites: options.maxPendingMessageWrites }),
    }),
    hub,
    metrics,
    logger,
    system: {
      workers,
      deadLetters: createDeadLetterService({
        store: deadLetters,
        transport,
        logger: logger.child({ component: 'dead-letters' }),
      }),
      queues: () => queueFigures(transport, deadLetters, topics),
    },
    maxUploadBytes: options.maxUploadBytes ?? 1024 ** 3,
    maxMessageBytes: options.maxMessageBytes ?? 64 * 1024,
    maxEventBufferedBytes: options.maxEventBufferedBytes ?? 8 * 1024 * 1024,
    uploads: createUploadLimiter(options.maxConcurrentUploads ?? 32),
    uploadIdleTimeoutMs: options.uploadIdleTimeoutMs ?? 30_000,
    readinessChecks: {
      broker: () => transport.ping(),
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
  registerSystemRoutes(app, deps);
  registerDocRoutes(app, options.version ?? '0.1.0');
  if (options.webPage !== false) app.route('/', createWebRoutes());

  let stopMetrics: (() => void) | undefined;
  let stopWorkers: (() => void) | undefined;
  let starting: Promise<void> | undefined;
  let closing: Promise<void> | undefined;
  return {
    app,
    injectWebSocket: refuseUnkeyedUpgrades(options.apiKey, injectWebSocket),
    hub,
    metrics,
    relay,
    reconciler,
    workers,
    deadLetterRecorder,
    start() {
      starting ??= (async () => {
        await ensureTopics(transport, topics);
        stopMetrics = metrics.follow(hub);
        stopWorkers = workers.follow(hub);
        await hub.start();
        await deadLetterRecorder.start();
        relay.start();
        reconciler?.start();
      })();
      return starting;
    },
    close() {
      closing ??= (async () => {
        for (const client of wss.clients) client.close(1001, 'server shutting down');
        stopMetrics?.();
        stopWorkers?.();
        await deadLetterRecorder.close();
        await reconciler?.close();
        await relay.close();
        await hub.close();
      })();
      return closing;
    },
  };
}

/**
 * Several relays used as one, for starting, stopping, counting and waking them; the services
 * each get the relay of their own store's outbox, which claims their events ahead.
 */
function combineRelays(relays: readonly OutboxRelay[]): OutboxRelay {
  if (relays.length === 1) return relays[0]!;
  return {
    start: () => {
      for (const relay of relays) relay.start();
    },
    notify: () => {
      for (const relay of relays) relay.notify();
    },
    claimAhead: (events) => [...events],
    publish: () => {
      for (const relay of relays) relay.notify();
    },
    backlog: () => relays.reduce((sum, relay) => sum + relay.backlog(), 0),
    refreshBacklog: async () =>
      (await Promise.all(relays.map((relay) => relay.refreshBacklog()))).reduce((a, b) => a + b, 0),
    assertAccepting: () => {
      for (const relay of relays) relay.assertAccepting();
    },
    drain: async (timeoutMs) => {
      await Promise.all(relays.map((relay) => relay.drain(timeoutMs)));
    },
    close: async () => {
      await Promise.all(relays.map((relay) => relay.close()));
    },
  };
}

/** `/readyz`'s `storage` check, for blob stores that can tell (a bucket, a directory). */
function storageCheck(blobs: BlobStore): Record<string, () => Promise<unknown>> {
  const { ping } = blobs;
  return ping === undefined ? {} : { storage: () => ping.call(blobs) };
}
