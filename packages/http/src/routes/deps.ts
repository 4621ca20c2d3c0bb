import type { OpenAPIHono } from '@hono/zod-openapi';
import type {
  DeadLetterService,
  EventHub,
  JobService,
  MessageService,
  WorkerRegistry,
} from '@playtally/service';
import type { Logger, QueueStats } from '@playtally/transport';
import type { ServiceMetrics } from '../metrics/service-metrics.js';
import type { UploadLimiter } from '../upload/upload-guard.js';

/** The OpenAPI app every route file registers on. */
export type ApiApp = OpenAPIHono;

/** What the route files need, assembled once by `createApp`. */
export interface RouteDeps {
  readonly jobs: JobService;
  readonly messages: MessageService;
  readonly hub: EventHub;
  readonly metrics: ServiceMetrics;
  readonly logger: Logger;
  readonly maxUploadBytes: number;
  readonly maxMessageBytes: number;
  /** A WebSocket client leaving more than this unread is disconnected. */
  readonly maxEventBufferedBytes: number;
  /** Uploads in progress, capped. */
  readonly uploads: UploadLimiter;
  /** An upload sending nothing for this long is stopped. */
  readonly uploadIdleTimeoutMs: number;
  /** The operator's view: workers, queues, dead letters. */
  readonly system: {
    readonly workers: WorkerRegistry;
    readonly deadLetters: DeadLetterService;
    queues(): Promise<QueueStats[]>;
  };
  /** Named readiness checks run by `/readyz`. */
  readonly readinessChecks: Readonly<Record<string, () => Promise<unknown>>>;
}
