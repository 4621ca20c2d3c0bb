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
  const check = createApiKeyCheck(apiKey);
  return async (c, next) => {
    const refusal = check({
      method: c.req.method,
      header: (name) => c.req.header(name),
      query: (name) => c.req.query(name),
    });
    if (refusal !== undefined) {
      c.header('WWW-Authenticate', refusal.challenge);
      return errorBody(c, 401, 'UNAUTHORIZED', refusal.message);
    }
    await next();
  };
}

/** What an API key check needs to know of a request. */
export interface KeyedRequest {
  readonly method: string;
  header(name: string): string | undefined;
  query(name: string): string | undefined;
}

/** Why a request is refused: the 401's message and its `WWW-Authenticate` challenge. */
export interface KeyRefusal {
  readonly message: string;
  readonly challenge: string;
}

/**
 * The rule of {@link apiKeyAuth} as a function, for the places a middleware cannot reach (a
 * WebSocket upgrade is answered by the Node server, not by the app). Returns `undefined` when
 * the request presents the key.
 */
export function createApiKeyCheck(
  apiKey: string,
): (request: KeyedRequest) => KeyRefusal | undefined {
  const expected = digest(apiKey);
  return (request) => {
    const bearer = request
      .header('authorization')
      ?.match(/^Bearer\s+(.+)$/i)?.[1]
      ?.trim();
    const fromQuery = request.method === 'GET' ? request.query('apiKey') : undefined;
    const presented = bearer ?? request.header('x-api-key') ?? fromQuery;
    if (presented === undefined || presented === '')
      return { message: 'an API key is required', challenge: 'Bearer' };
    if (!timingSafeEqual(digest(presented), expected))
      return { message: 'the API key is not valid', challenge: 'Bearer error="invalid_token"' };
    return undefined;
  };
}

function digest(value: string): Buffer {
  return createHash('sha256').update(value).digest();
}
