import { PlaytallyError } from '@playtally/core';

/**
 * Canonical form of a stored timestamp: `Date#toISOString()` (`YYYY-MM-DDTHH:mm:ss.sssZ`, UTC).
 * Every store keeps timestamps in this one form so that sorting the strings sorts the instants;
 * an RFC 3339 time with an offset (say, a CloudEvent's `time`) is converted. Rejects with
 * `INVALID_INPUT`, naming `field`, when `value` is not a date.
 */
export function normalizeTimestamp(value: string, field: string): string {
  const millis = Date.parse(value);
  const canonical = Number.isNaN(millis) ? '' : new Date(millis).toISOString();
  // Years past 9999 would print as "+010000-…" and break the string order.
  if (typeof value !== 'string' || !/^\d{4}-/.test(canonical)) {
    throw new PlaytallyError(
      'INVALID_INPUT',
      `${field} must be an ISO 8601 timestamp, got "${value}"`,
      {
        details: { field, value },
      },
    );
  }
  return canonical;
}
