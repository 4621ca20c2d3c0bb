import { PassThrough } from 'node:stream';
import { describe, expect, it } from 'vitest';
import type { CliContext } from './cli-command.js';
import { createProgressBar } from './progress-bar.js';

function context(isTTY: boolean): { context: CliContext; written: () => string } {
  const stderr = Object.assign(new PassThrough(), { isTTY, columns: 120 });
  let text = '';
  stderr.on('data', (chunk: Buffer) => {
    text += chunk.toString();
  });
  const ctx: CliContext = {
    stdin: new PassThrough(),
    stdout: new PassThrough(),
    stderr,
    signal: new AbortController().signal,
  };
  return { context: ctx, written: () => text };
}

describe('the progress bar', () => {
  it('draws percentage, bytes, rate, rows and ETA in place on a terminal, and erases itself', async () => {
    const { context: ctx, written } = context(true);
    const bar = createProgressBar(ctx, { totalBytes: 10_000_000 });
    await new Promise((resolve) => setTimeout(resolve, 20));
    bar.update({ bytesRead: 2_500_000, rowsRead: 100_000 });
    await new Promise((resolve) => setImmediate(resolve));
    const drawn = written();
    expect(drawn.startsWith('\r')).toBe(true);
    expect(drawn.endsWith('\u001b[K')).toBe(true); // erase to the end of the line
    expect(drawn).toMatch(
      /\[#{6}-{18}\]\s+25%\s+2\.50 MB \/ 10\.0 MB\s+[\d.]+ [kMG]?B\/s\s+100,000 rows\s+ETA \d+:\d\d/,
    );
    bar.clear();
    await new Promise((resolve) => setImmediate(resolve));
    expect(written().endsWith('\r\u001b[K')).toBe(true);
  });

  it('shows bytes and rate without a total (standard input)', async () => {
    const { context: ctx, written } = context(true);
    createProgressBar(ctx).update({ bytesRead: 1234, rowsRead: 5 });
    await new Promise((resolve) => setImmediate(resolve));
    expect(written()).toContain('1.23 kB');
    expect(written()).not.toContain('ETA');
  });

  it('puts its label first, and leaves rows out while none are counted (an upload)', async () => {
    const { context: ctx, written } = context(true);
    createProgressBar(ctx, { label: 'upload', totalBytes: 2000 }).update({
      bytesRead: 1000,
      rowsRead: 0,
    });
    await new Promise((resolve) => setImmediate(resolve));
    expect(written()).toMatch(/^\rupload {2}\[#{12}-{12}\]\s+50%/);
    expect(written()).not.toContain('rows');
  });

  it('stays silent when stderr is not a terminal', async () => {
    const { context: ctx, written } = context(false);
    const bar = createProgressBar(ctx, { totalBytes: 100 });
    bar.update({ bytesRead: 50, rowsRead: 1 });
    bar.clear();
    await new Promise((resolve) => setImmediate(resolve));
    expect(written()).toBe('');
  });
});
