import type { AggregateProgress } from '@playtally/core';

/** Options of {@link createProgressThrottle}. */
export interface ProgressThrottleOptions {
  /** Size of the input, so progress can be judged as a fraction. */
  totalBytes: number;
  /** Report when this long has passed since the last report. @default 1000 */
  intervalMs?: number;
  /** Report when this fraction more of the input has been read. @default 0.05 */
  step?: number;
  /** @default Date.now */
  now?: () => number;
}

/**
 * Decides which engine progress updates are worth publishing: one at least every second while
 * progress is being made, and one at every 5 % of the input, so a fast run is not a flood and a
 * slow one is never silent.
 */
export function createProgressThrottle(
  options: ProgressThrottleOptions,
): (progress: AggregateProgress) => boolean {
  const intervalMs = options.intervalMs ?? 1000;
  const step = options.step ?? 0.05;
  const now = options.now ?? Date.now;
  const total = Math.max(1, options.totalBytes);
  let lastAt = Number.NEGATIVE_INFINITY;
  let lastFraction = Number.NEGATIVE_INFINITY;
  return (progress) => {
    const at = now();
    const fraction = progress.bytesRead / total;
    if (at - lastAt < intervalMs && fraction - lastFraction < step) return false;
    lastAt = at;
    lastFraction = fraction;
    return true;
  };
}
