import { randomUUID } from 'node:crypto';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { chromiumAvailable, launchChromium, watchPage } from '../../test/browser/chromium.js';
import { type LiveSystem, startLiveSystem } from '../../test/browser/live-system.js';

const available = await chromiumAvailable();
const STEP = { timeout: 15_000 };

describe.skipIf(!available)('the page shows the parts of a split job', () => {
  let system: LiveSystem;
  let browser: Browser;
  const watched: Array<{ foreign: string[]; errors: string[] }> = [];

  beforeAll(async () => {
    system = await startLiveSystem({ splitBytes: 64 * 1024 });
    browser = await launchChromium();
  });

  afterAll(async () => {
    await browser?.close();
    await system?.stop();
    expect(watched.flatMap((w) => w.errors)).toEqual([]);
  });

  it('counts the parts done while the job runs, then all of them', async () => {
    const page: Page = await browser.newPage();
    page.setDefaultTimeout(STEP.timeout);
    watched.push(watchPage(page, system.origin));
    await page.goto(system.origin);
    const filename = `split-${randomUUID().slice(0, 8)}.csv`;
    const lines = ['Song,Date,Number of Plays'];
    for (let i = 0; i < 20_000; i += 1) lines.push(`Song ${i % 31},2020-01-${10 + (i % 20)},${i}`);
    const body = `${lines.join('\n')}\n`;
    const total = Math.ceil(Buffer.byteLength(body) / (64 * 1024));
    system.slowReads(20);
    try {
      const response = await fetch(`${system.origin}/v1/jobs?filename=${filename}`, {
        method: 'POST',
        headers: { 'Content-Type': 'text/csv' },
        body,
      });
      expect(response.status).toBe(202);
      const { parts } = (await response.json()) as { parts: { total: number } };
      expect(parts.total).toBeGreaterThanOrEqual(total - 1);
      const row = page.getByRole('row').filter({ hasText: filename });
      await expect
        .poll(() => row.getByText(new RegExp(`of ${parts.total} parts done`)).count(), STEP)
        .toBe(1);
      await expect.poll(() => row.getByText('succeeded').count(), { timeout: 30_000 }).toBe(1);
      await expect
        .poll(() => row.getByText(`${parts.total} of ${parts.total} parts done`).count(), STEP)
        .toBe(1);
    } finally {
      system.slowReads(0);
    }
    await page.close();
  });
});
