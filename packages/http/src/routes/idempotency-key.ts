import { PlaytallyError } from '@playtally/service';
import type { Context } from 'hono';

/** The `Idempotency-Key` header's value, or `undefined` when absent. */
export function idempotencyKeyOf(c: Context): string | undefined {
  const raw = c.req.header('idempotency-key');
  if (raw === undefined) return undefined;
  // The IETF draft makes it a structured-field string: accept it quoted or bare.
  const key = raw.trim().replace(/^"(.*)"$/, '$1');
  if (key.length === 0 || key.length > 255 || !/^[\x20-\x7e]+$/.test(key)) {
    throw new PlaytallyError(
      'VALIDATION_FAILED',
      'Idempotency-Key must be 1-255 printable ASCII characters',
      { details: { issues: [{ path: ['Idempotency-Key'], message: 'invalid', code: 'custom' }] } },
    );
  }
  return key;
}
