import type { MiddlewareHandler } from 'hono';
import { routePath } from 'hono/route';
import type { Histogram } from 'prom-client';

/**
 * Times every request into `histogram`, labelled by method, the route's pattern (not the raw
 * path, so ids do not explode the series) and status.
 */
export function requestMetrics(
  histogram: Histogram<'method' | 'route' | 'status'>,
): MiddlewareHandler {
  return async (c, next) => {
    const started = performance.now();
    try {
      await next();
    } finally {
      const pattern = routePath(c, -1);
      const route = pattern === '*' || pattern === '/*' ? 'unmatched' : pattern;
      histogram.observe(
        { method: c.req.method, route, status: String(c.res.status) },
        (performance.now() - started) / 1000,
      );
    }
  };
}
