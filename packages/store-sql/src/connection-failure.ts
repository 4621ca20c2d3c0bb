import { describeConnectionError } from '@playtally/service';

/** PostgreSQL's codes for a connection it refused, as a person would say them. */
const REFUSALS: Readonly<Record<string, string>> = {
  '28P01': 'authentication refused (check the user name and password in the URL)',
  '28000': 'authentication refused (check the user name and password in the URL)',
  '3D000': 'the database does not exist',
};

const NETWORK_CODES = new Set([
  'ECONNREFUSED',
  'ENOTFOUND',
  'EAI_AGAIN',
  'ETIMEDOUT',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'ECONNRESET',
]);

/**
 * Why the database could not be reached or refused the connection, or `undefined` when the
 * failure came later (a migration that ran and failed). Looks through `cause` chains.
 */
export function connectionFailure(error: unknown): string | undefined {
  for (let current = error, depth = 0; current !== undefined && depth < 5; depth += 1) {
    const code = (current as { code?: unknown }).code;
    if (typeof code === 'string') {
      if (REFUSALS[code]) return REFUSALS[code];
      if (NETWORK_CODES.has(code)) return describeConnectionError(current);
    }
    const errors = (current as { errors?: unknown }).errors;
    current =
      Array.isArray(errors) && errors.length > 0
        ? errors[0]
        : (current as { cause?: unknown }).cause;
  }
  return undefined;
}
