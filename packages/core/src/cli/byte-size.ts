import { UsageError } from './cli-command.js';

const UNITS: Record<string, number> = {
  '': 1,
  b: 1,
  k: 1e3,
  kb: 1e3,
  kib: 1024,
  m: 1e6,
  mb: 1e6,
  mib: 1024 ** 2,
  g: 1e9,
  gb: 1e9,
  gib: 1024 ** 3,
};

/** Parses a byte size such as `256MiB`, `1.5GB` or `1048576`. */
export function parseByteSize(text: string, option: string): number {
  const match = /^(\d+(?:\.\d+)?)\s*([a-z]*)$/i.exec(text.trim());
  const unit = match ? UNITS[match[2]!.toLowerCase()] : undefined;
  if (!match || unit === undefined) {
    throw new UsageError(
      `${option} must be a size such as 256MiB, 512MB or 1048576, got "${text}"`,
    );
  }
  return Math.floor(Number(match[1]) * unit);
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

/** `1234567` → `1.2 MB`. */
export function formatBytes(bytes: number): string {
  if (bytes < 1e3) return `${bytes} B`;
  const units = ['kB', 'MB', 'GB', 'TB'];
  let value = bytes / 1e3;
  let unit = 0;
  while (value >= 1e3 && unit < units.length - 1) {
    value /= 1e3;
    unit++;
  }
  return `${value.toFixed(value < 10 ? 2 : 1)} ${units[unit]}`;
}
