/**
 * Byte sizes, one convention everywhere (CLI options, server settings, API answers, the web
 * page): units mean what the SI and IEC standards say. `kB`, `MB`, `GB`, `TB` are powers of
 * 1000; `KiB`, `MiB`, `GiB`, `TiB` are powers of 1024; a bare `k`, `m`, `g` or `t` is the SI
 * prefix (powers of 1000), as in `--rows 20k`. Case does not matter, so `256m` and `256MB` are
 * both 256,000,000 bytes and `256MiB` is 268,435,456.
 */
const UNITS: Readonly<Record<string, number>> = {
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
  t: 1e12,
  tb: 1e12,
  tib: 1024 ** 4,
};

/**
 * Parses a byte size: a whole number of bytes (`1048576`) or a number with a unit (`256MiB`,
 * `1.5 GB`, `64k`). `kB`/`MB`/`GB`/`TB` and bare `k`/`m`/`g`/`t` are powers of 1000;
 * `KiB`/`MiB`/`GiB`/`TiB` are powers of 1024. Fractions round down to whole bytes. Returns
 * `undefined` when the text is not a size or is too large to count exactly.
 *
 * @example
 * ```ts
 * import { parseByteSize } from '@playtally/core';
 * parseByteSize('256MiB'); // 268435456
 * parseByteSize('256m'); // 256000000
 * parseByteSize('lots'); // undefined
 * ```
 */
export function parseByteSize(text: string): number | undefined {
  const match = /^\s*(\d+(?:\.\d+)?)\s*([a-z]*)\s*$/i.exec(text);
  if (!match) return undefined;
  const unit = UNITS[(match[2] ?? '').toLowerCase()];
  if (unit === undefined) return undefined;
  const bytes = Math.floor(Number(match[1]) * unit);
  return Number.isSafeInteger(bytes) ? bytes : undefined;
}

const DECIMAL_UNITS = ['kB', 'MB', 'GB', 'TB'] as const;

/**
 * Formats a byte count for a person with decimal units, the ones {@link parseByteSize} reads
 * back: `999 B`, `1.23 kB`, `59.7 MB`. Three significant digits from 1 kB up.
 *
 * @example
 * ```ts
 * import { formatBytes } from '@playtally/core';
 * formatBytes(59_700_000); // '59.7 MB'
 * ```
 */
export function formatBytes(bytes: number): string {
  if (bytes < 1e3) return `${Math.round(bytes)} B`;
  let value = bytes / 1e3;
  let unit = 0;
  while (value >= 999.95 && unit < DECIMAL_UNITS.length - 1) {
    value /= 1e3;
    unit++;
  }
  return `${value.toFixed(value < 10 ? 2 : value < 100 ? 1 : 0)} ${DECIMAL_UNITS[unit]}`;
}
