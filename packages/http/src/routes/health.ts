import { createRoute, z } from '@hono/zod-openapi';
import { isPlaytallyError } from '@playtally/service';
import { errorFields } from '@playtally/transport';
import { errorBody } from '../middleware/errors.js';
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
  summary: 'Readiness: the broker and the database answer, and the storage is writable',
  description:
    'Each check is named for its component (`broker`, `database`, `storage`); a failed one says what kind of failure (unavailable, out of space, timed out) without addresses or paths.',
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
    503: errorResponse('Not ready; `details.checks` says which component failed.'),
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
          deps.logger.warn({ ...errorFields(error), check: name }, 'readiness check failed');
          return [name, { ok: false, error: failureKind(error) }] as const;
        }
      }),
    );
    const checks = Object.fromEntries(entries);
    const failed = entries.filter(([, result]) => !result.ok).map(([name]) => name);
    if (failed.length === 0) return c.json({ status: 'ready', checks });
    return errorBody(c, 503, 'NOT_READY', `not ready: ${failed.join(', ')} unavailable`, {
      checks,
      retryAfterSeconds: 5,
    });
  });
}

/** What a client may know of a failed check: its kind, never its message. */
function failureKind(error: unknown): string {
  if (isPlaytallyError(error, 'STORAGE_FULL')) return 'out of space or read-only';
  if (error instanceof CheckTimeout) return 'did not answer in time';
  return 'unavailable';
}

class CheckTimeout extends Error {}

function withTimeout<T>(promise: Promise<T>, ms: number, name: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(
      () => reject(new CheckTimeout(`${name} did not answer within ${ms} ms`)),
      ms,
    );
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}
