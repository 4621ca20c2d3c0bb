import { createHash, timingSafeEqual } from 'node:crypto';
import type { MiddlewareHandler } from 'hono';
import { errorBody } from './errors.js';

/**
 * Requires `apiKey` on every request it guards, sent as `Authorization: Bearer <key>` or
 * `X-API-Key: <key>`. GET requests may also send `?apiKey=<key>`, because a browser can set
 * no header on a WebSocket or a download link. Anything else answers 401. Keys are compared in
 * constant time.
 *
 * @example
 * ```ts
 * app.use('/v1/*', apiKeyAuth('s3cret'));
 * ```
 */
export function apiKeyAuth(apiKey: string): MiddlewareHandler {
  const expected = digest(apiKey);
  return async (c, next) => {
    const authorization = c.req.header('authorization');
    const bearer = authorization?.match(/^Bearer\s+(.+)$/i)?.[1]?.trim();
    const fromQuery = c.req.method === 'GET' ? c.req.query('apiKey') : undefined;
    const presented = bearer ?? c.req.header('x-api-key') ?? fromQuery;
    if (presented === undefined || presented === '') {
      c.header('WWW-Authenticate', 'Bearer');
      return errorBody(c, 401, 'UNAUTHORIZED', 'an API key is required');
    }
    if (!timingSafeEqual(digest(presented), expected)) {
      c.header('WWW-Authenticate', 'Bearer error="invalid_token"');
      return errorBody(c, 401, 'UNAUTHORIZED', 'the API key is not valid');
    }
    await next();
  };
}

function digest(value: string): Buffer {
  return createHash('sha256').update(value).digest();
}
