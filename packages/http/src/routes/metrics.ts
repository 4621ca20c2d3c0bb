import { createRoute, z } from '@hono/zod-openapi';
import { PUBLIC_SECURITY } from '../schemas/security.js';
import type { ApiApp, RouteDeps } from './deps.js';

const metricsRoute = createRoute({
  method: 'get',
  path: '/metrics',
  operationId: 'getMetrics',
  security: PUBLIC_SECURITY,
  tags: ['operations'],
  summary: 'Prometheus metrics (text format 0.0.4)',
  responses: {
    200: {
      description:
        'playtally_jobs{status}, playtally_job_queue_latency_seconds, playtally_processed_bytes_total, playtally_http_request_duration_seconds, …',
      content: { 'text/plain': { schema: z.string() } },
    },
  },
});

/** Registers `/metrics`. */
export function registerMetricsRoutes(app: ApiApp, deps: RouteDeps): void {
  app.openAPIRegistry.registerPath(metricsRoute);
  app.get('/metrics', async (c) =>
    c.body(await deps.metrics.registry.metrics(), 200, {
      'Content-Type': deps.metrics.registry.contentType,
    }),
  );
}
