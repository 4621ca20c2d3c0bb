import { redactUrl } from './redact-url.js';

/** What each network failure means, as a person would say it. */
const NETWORK_REASONS: Readonly<Record<string, string>> = {
  ECONNREFUSED: 'connection refused (nothing listens there: is it running?)',
  ENOTFOUND: 'no such host',
  EAI_AGAIN: 'the host name could not be resolved',
  ETIMEDOUT: 'the connection timed out',
  EHOSTUNREACH: 'the host is unreachable',
  ENETUNREACH: 'the network is unreachable',
  ECONNRESET: 'the connection was reset',
  EPIPE: 'the connection was closed',
};

const AUTHENTICATION = /WRONGPASS|NOAUTH|ACCESS[-_]REFUSED|authentication failed/i;

/**
 * Why a broker or database connection failed, in a few plain words: `connection refused (…)`,
 * `no such host`, `authentication refused (…)`, or the error's own message when it is none of
 * these. Looks through `cause` chains and `AggregateError`s (a host name that resolves to
 * several addresses fails once per address).
 *
 * @example
 * ```ts
 * import { describeConnectionError } from '@playtally/transport';
 * describeConnectionError(Object.assign(new Error('connect ECONNREFUSED'), { code: 'ECONNREFUSED' }));
 * // 'connection refused (nothing listens there: is it running?)'
 * ```
 */
export function describeConnectionError(error: unknown): string {
  for (let current = error, depth = 0; current !== undefined && depth < 5; depth += 1) {
    const code = (current as { code?: unknown }).code;
    if (typeof code === 'string' && NETWORK_REASONS[code]) return NETWORK_REASONS[code];
    const message = current instanceof Error ? current.message : String(current);
    if (AUTHENTICATION.test(message)) {
      return 'authentication refused (check the user name and password in the URL)';
    }
    const errors = (current as { errors?: unknown }).errors;
    if (Array.isArray(errors) && errors.length > 0) current = errors[0];
    else current = (current as { cause?: unknown }).cause;
  }
  return error instanceof Error ? error.message || error.name : String(error);
}

/**
 * Why an operation gave up waiting for a broker, in one sentence: `<service> at <url> is
 * unreachable: <why>` when the last attempt to connect said why (see
 * {@link describeConnectionError}), else `<service> at <url> gave no answer within <ms> ms`.
 * The URL's password never appears.
 *
 * @example
 * ```ts
 * import { unreachableMessage } from '@playtally/transport';
 * unreachableMessage('Redis', 'redis://:secret@cache:6379', undefined, 5000);
 * // 'Redis at redis://:***@cache:6379 gave no answer within 5000 ms'
 * ```
 */
export function unreachableMessage(
  service: string,
  url: string,
  lastError: unknown,
  timeoutMs: number,
): string {
  const where = `${service} at ${redactUrl(url)}`;
  return lastError === undefined
    ? `${where} gave no answer within ${timeoutMs} ms`
    : `${where} is unreachable: ${describeConnectionError(lastError)}`;
}
