import type { AggregateProgress } from '../engine/types.js';
import { formatBytes } from './byte-size.js';
import type { CliContext } from './cli-command.js';

/** Options of {@link createProgressBar}. */
export interface ProgressBarOptions {
  /** Input size in bytes, when known (a file); enables the percentage and the ETA. */
  totalBytes?: number;
  /** A word in front of the bar, e.g. `upload` or `job`. */
  label?: string;
}

/** Draws progress on one line of a terminal. */
export interface ProgressBar {
  update(progress: AggregateProgress): void;
  /** Erases the bar. */
  clear(): void;
}

const WIDTH = 24;

/**
 * A progress bar with rate and ETA, redrawn in place on stderr when stderr is a terminal; a
 * no-op otherwise, so piped or logged runs stay silent.
 */
export function createProgressBar(
  context: CliContext,
  options: ProgressBarOptions = {},
): ProgressBar {
  const stderr = context.stderr;
  if (!stderr.isTTY) return { update() {}, clear() {} };
  const startedAt = performance.now();
  let drawn = false;
  return {
    update({ bytesRead, rowsRead }) {
      const seconds = (performance.now() - startedAt) / 1000;
      const rate = seconds > 0 ? bytesRead / seconds : 0;
      const parts: string[] = options.label ? [options.label] : [];
      const total = options.totalBytes;
      if (total && total > 0) {
        const fraction = Math.min(1, bytesRead / total);
        const filled = Math.round(fraction * WIDTH);
        parts.push(
          `[${'#'.repeat(filled)}${'-'.repeat(WIDTH - filled)}] ${(fraction * 100).toFixed(0).padStart(3)}%`,
        );
        parts.push(`${formatBytes(bytesRead)} / ${formatBytes(total)}`);
      } else {
        parts.push(formatBytes(bytesRead));
      }
      parts.push(`${formatBytes(rate)}/s`);
      if (rowsRead > 0) parts.push(`${rowsRead.toLocaleString('en-US')} rows`);
      if (total && rate > 0 && bytesRead < total)
        parts.push(`ETA ${formatDuration((total - bytesRead) / rate)}`);
      const line = parts.join('  ').slice(0, Math.max(20, (stderr.columns || 100) - 1));
      stderr.write(`\r${line}\x1b[K`);
      drawn = true;
    },
    clear() {
      if (drawn) stderr.write('\r\x1b[K');
      drawn = false;
    },
  };
}

function formatDuration(seconds: number): string {
  const s = Math.ceil(seconds);
  const minutes = Math.floor(s / 60);
  return `${minutes}:${String(s % 60).padStart(2, '0')}`;
}
