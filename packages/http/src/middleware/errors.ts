import { isPlaytallyError, type PlaytallyError, type PlaytallyErrorCode } from '@playtally/service';
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
  IDEMPOTENCY_KEY_REUSED: 422,
  ABORTED: 400,
  UNAUTHORIZED: 401,
  UPGRADE_REQUIRED: 426,
  NOT_FOUND: 404,
  REQUEST_TIMEOUT: 408,
  CONFLICT: 409,
  PAYLOAD_TOO_LARGE: 413,
  UNSUPPORTED_MEDIA_TYPE: 415,
  TRANSPORT_ERROR: 503,
  TRANSPORT_CLOSED: 503,
  STORE_UNAVAILABLE: 503,
  BACKLOG_FULL: 503,
  TOO_MANY_UPLOADS: 503,
  NOT_READY: 503,
  STORAGE_FULL: 507,
  STORE_ERROR: 500,
  UNKNOWN_TRANSPORT: 500,
  ADAPTER_NOT_INSTALLED: 500,
  CONFIG_INVALID: 500,
  INTERNAL: 500,
};

/** Seconds a client is asked to wait before retrying a 503 or 507, unless the error says. */
const DEFAULT_RETRY_AFTER_SECONDS = 5;

/** Codes whose messages may name infrastructure (URLs, paths): answered in general words. */
const INFRASTRUCTURE_CODES: ReadonlySet<PlaytallyErrorCode> = new Set([
  'TRANSPORT_ERROR',
  'TRANSPORT_CLOSED',
  'STORE_UNAVAILABLE',
  'STORE_ERROR',
  'STORAGE_FULL',
  'UNKNOWN_TRANSPORT',
  'ADAPTER_NOT_INSTALLED',
  'CONFIG_INVALID',
]);

/** An error answer: `{ error: { code, message, details } }` with `status`. */
export function errorBody(
  c: Context,
  status: ContentfulStatusCode,
  code: string,
  message: string,
  details: Readonly<Record<string, unknown>> | null = null,
): Response {
  if (status === 503 || status === 507) {
    const seconds = Number(details?.retryAfterSeconds ?? DEFAULT_RETRY_AFTER_SECONDS);
    c.header('Retry-After', String(Math.max(1, Math.round(seconds))));
  }
  return c.json({ error: { code, message, details } }, status);
}

/**
 * What a client may see of an infrastructure error: the failing component (`database`,
 * `broker`, `storage`) and the kind of failure, never a URL, a path or a driver's message. The
 * whole error goes to the log.
 */
export function publicError(error: PlaytallyError): {
  message: string;
  details: Record<string, unknown> | null;
} {
  if (!INFRASTRUCTURE_CODES.has(error.code)) {
    return { message: error.message, details: error.details ?? null };
  }
  const given = error.details?.component;
  const component =
    typeof given === 'string'
      ? given
      : error.code.startsWith('TRANSPORT') || error.code === 'UNKNOWN_TRANSPORT'
        ? 'broker'
        : 'database';
  const reason = typeof error.details?.reason === 'string' ? error.details.reason : undefined;
  const details: Record<string, unknown> = { component };
  if (reason !== undefined) details.reason = reason;
  if (error.details?.retryAfterSeconds !== undefined) {
    details.retryAfterSeconds = error.details.retryAfterSeconds;
  }
  const message =
    error.code === 'STORAGE_FULL'
      ? `the ${component} is out of space or read-only${reason ? ` (${reason})` : ''}`
      : error.code === 'STORE_ERROR' || error.code === 'INTERNAL'
        ? `the ${component} failed`
        : error.code === 'CONFIG_INVALID' ||
            error.code.endsWith('_TRANSPORT') ||
            error.code === 'ADAPTER_NOT_INSTALLED'
          ? 'the server is misconfigured'
          : `the ${component} is unavailable; retry later`;
  return { message, details };
}

/**
 * Turns anything a route throws into the JSON error answer: a `PlaytallyError` keeps its code
 * with the mapped status (and, for infrastructure errors, a message naming only the failing
 * component; 503 and 507 carry `Retry-After`); anything else is logged and answered as a 500
 * that reveals nothing of the server's internals.
 */
export function createErrorHandler(logger: Logger) {
  return (error: Error, c: Context): Response => {
    if (isPlaytallyError(error)) {
      const status = STATUS_BY_CODE[error.code] ?? 500;
      if (status >= 500) {
        logger.error({ err: error, path: c.req.path }, 'request failed');
      }
      const { message, details } = publicError(error);
      return errorBody(c, status, error.code, message, details);
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
