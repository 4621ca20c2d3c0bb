import { parseByteSize as parseSize } from '../engine/byte-size.js';
import { UsageError } from './cli-command.js';

export { formatBytes } from '../engine/byte-size.js';

/**
 * Parses a byte-size option such as `256MiB`, `1.5GB` or `1048576` with the one convention of
 * the library's `parseByteSize` (`MB` and a bare `m` are 10^6 bytes, `MiB` is 2^20), or throws a
 * usage error naming the option.
 */
export function parseByteSize(text: string, option: string): number {
  const bytes = parseSize(text);
  if (bytes === undefined) {
    throw new UsageError(
      `${option} must be a size such as 256MiB, 512MB or 1048576, got "${text}"`,
    );
  }
  return bytes;
}

/** Parses a count such as `10M`, `20k`, `1e6` or `1_000_000`. */
export function parseCount(text: string, option: string): number {
  const match = /^(\d+(?:\.\d+)?(?:e\d+)?)([km]?)$/i.exec(text.trim().replaceAll('_', ''));
  const value = match
    ? Number(match[1]) * ({ '': 1, k: 1e3, m: 1e6 }[match[2]!.toLowerCase()] ?? 1)
    : Number.NaN;
  if (!Number.isSafeInteger(value) || value < 0) {
    throw new UsageError(
      `${option} must be a whole number such as 1000, 20k or 10M, got "${text}"`,
    );
  }
  return value;
}
