import type { JobPatch } from '../domain/job.js';
import { normalizeTimestamp } from './timestamp.js';

const PATCHABLE: readonly (keyof JobPatch)[] = [
  'status',
  'resultKey',
  'progress',
  'attempts',
  'error',
  'statistics',
  'startedAt',
  'finishedAt',
];

/**
 * The patch's known fields, timestamps in canonical form; a key set to `undefined` means
 * "leave it" like an absent one. Shared by the memory stores; not exported from the package.
 */
export function pickJobPatch(patch: JobPatch): JobPatch {
  const picked = Object.fromEntries(
    PATCHABLE.filter((key) => patch[key] !== undefined).map((key) => [key, patch[key]]),
  ) as { -readonly [K in keyof JobPatch]: JobPatch[K] };
  if (typeof patch.startedAt === 'string') {
    picked.startedAt = normalizeTimestamp(patch.startedAt, 'startedAt');
  }
  if (typeof patch.finishedAt === 'string') {
    picked.finishedAt = normalizeTimestamp(patch.finishedAt, 'finishedAt');
  }
  return picked;
}
