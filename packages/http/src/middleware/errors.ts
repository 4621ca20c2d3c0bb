import { isPlaytallyError, type PlaytallyErrorCode } from '@playtally/service';
import type { Logger } from '@playtally/transport';
import type { Context } from 'hono';
import type { ContentfulStatusCode } from 'hono/utils/http-status';

/** The HTTP status each error code answers with. */
export const STATUS_BY_CODE: Readonly<Record<PlaytallyErrorCode, ContentfulStatusCode>> = {
  INVALID_INPUT: 400,
  VALIDATION_FAILED: 400,
  MISSING_COLUMNS: 422,
  INVALID_ROW: 422,
  EMPTY_INPUT: 422,
  LINE_TOO_LONG: 422,
  ABORTED: 400,
  UNAUTHORIZED: 401,
  UPGRADE_REQUIRED: 426,
  NOT_FOUND: 404,
  CONFLICT: 409,
  PAYLOAD_TOO_LARGE: 413,
  UNSUPPORTED_MEDIA_TYPE: 415,
  TRANSPORT_ERROR: 503,
  TRANSPORT_CLOSED: 503,
  STORE_ERROR: 503,
  NOT_READY: 503,
  UNKNOWN_TRANSPORT: 500,
  ADAPTER_NOT_INSTALLED: 500,
  CONFIG_INVALID: 500,
  INTERNAL: 500,
};

/** An error answer: `{ error: { code, message, details } }` with `status`. */
export function errorBody(
  c: Context,
  status: ContentfulStatusCode,
  code: string,
  message: string,
  details: Readonly<Record<string, unknown>> | null = null,
): Response {
  return c.json({ error: { code, message, details } }, status);
}

/**
 * Turns anything a route throws into the JSON error answer: a `PlaytallyError` keeps its code
 * and message with the mapped status; anything else is logged and answered as a 500 that
 * reveals nothing of the server's internals.
 */
export function createErrorHandler(logger: Logger) {
  return (error: Error, c: Context): Response => {
    if (isPlaytallyError(error)) {
      const status = STATUS_BY_CODE[error.code] ?? 500;
      if (status >= 500) {
        logger.error({ err: error, path: c.req.path }, 'request failed');
      }
      return errorBody(c, status, error.code, error.message, error.details ?? null);
    }
    if (isHttpException(error)) {
      const status = error.status as ContentfulStatusCode;
      return errorBody(c, status, `HTTP_${status}`, error.message || 'request refused');
    }
    logger.error({ err: error, path: c.req.path }, 'unexpected error');
    return errorBody(c, 500, 'INTERNAL', 'internal server error');
  };
}

/** Unknown routes answer 404 in the same shape. */
export function notFoundHandler(c: Context): Response {
  return errorBody(c, 404, 'NOT_FOUND', `no route for ${c.req.method} ${c.req.path}`);
}

function isHttpException(error: Error): error is Error & { status: number } {
  return (
    'status' in error &&
    typeof error.status === 'number' &&
    error.status >= 400 &&
    error.status < 600 &&
    'getResponse' in error
  );
}
