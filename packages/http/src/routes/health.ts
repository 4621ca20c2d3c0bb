import { createRoute, z } from '@hono/zod-openapi';
import { errorResponse } from '../schemas/error.js';
import { PUBLIC_SECURITY } from '../schemas/security.js';
import type { ApiApp, RouteDeps } from './deps.js';

const CHECK_TIMEOUT_MS = 3000;

const healthRoute = createRoute({
  method: 'get',
  path: '/healthz',
  operationId: 'getHealth',
  security: PUBLIC_SECURITY,
  tags: ['operations'],
  summary: 'Liveness: the process answers',
  responses: {
    200: {
      description: 'Alive.',
      content: { 'application/json': { schema: z.object({ status: z.literal('ok') }) } },
    },
  },
});

const readyRoute = createRoute({
  method: 'get',
  path: '/readyz',
  operationId: 'getReadiness',
  security: PUBLIC_SECURITY,
  tags: ['operations'],
  summary: 'Readiness: the transport, the database and the blob storage answer',
  responses: {
    200: {
      description: 'Ready; every check passed.',
      content: {
        'application/json': {
          schema: z.object({
            status: z.literal('ready'),
            checks: z.record(
              z.string(),
              z.object({ ok: z.boolean(), error: z.string().optional() }),
            ),
          }),
        },
      },
    },
    503: errorResponse('Not ready; `details.checks` says which check failed and why.'),
  },
});

/** Registers `/healthz` and `/readyz`. */
export function registerHealthRoutes(app: ApiApp, deps: RouteDeps): void {
  app.openAPIRegistry.registerPath(healthRoute);
  app.get('/healthz', (c) => c.json({ status: 'ok' }));

  app.openAPIRegistry.registerPath(readyRoute);
  app.get('/readyz', async (c) => {
    const entries = await Promise.all(
      Object.entries(deps.readinessChecks).map(async ([name, check]) => {
        try {
          await withTimeout(check(), CHECK_TIMEOUT_MS, name);
          return [name, { ok: true }] as const;
        } catch (error) {
          const message = error instanceof Error ? error.message : String(error);
          return [name, { ok: false, error: message }] as const;
        }
      }),
    );
    const checks = Object.fromEntries(entries);
    const failed = entries.filter(([, result]) => !result.ok).map(([name]) => name);
    if (failed.length === 0) return c.json({ status: 'ready', checks });
    return c.json(
      {
        error: {
          code: 'NOT_READY',
          message: `not ready: ${failed.join(', ')} unavailable`,
          details: { checks },
        },
      },
      503,
    );
  });
}

function withTimeout<T>(promise: Promise<T>, ms: number, name: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${name} did not answer within ${ms} ms`)), ms);
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}
