const DURATION_UNITS: Readonly<Record<string, number>> = {
  '': 1,
  ms: 1,
  s: 1000,
  m: 60_000,
  h: 3_600_000,
  d: 86_400_000,
};

/**
 * Parses a duration: a plain number of milliseconds (`30000`) or a number with a unit (`30s`,
 * `15m`, `12h`, `7d`). Returns `undefined` when the text is not a duration.
 */
export function parseDuration(text: string): number | undefined {
  const match = /^\s*(\d+(?:\.\d+)?)\s*(ms|s|m|h|d)?\s*$/i.exec(text);
  if (!match) return undefined;
  const unit = DURATION_UNITS[(match[2] ?? '').toLowerCase()];
  if (unit === undefined) return undefined;
  const ms = Math.floor(Number(match[1]) * unit);
  return Number.isSafeInteger(ms) ? ms : undefined;
}
