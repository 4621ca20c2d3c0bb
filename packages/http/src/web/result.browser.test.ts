import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  chromiumAvailable,
  launchChromium,
  screenshot,
  watchPage,
} from '../../test/browser/chromium.js';
import { type LiveSystem, startLiveSystem } from '../../test/browser/live-system.js';

const available = await chromiumAvailable();
const STEP = { timeout: 15_000 };

/** Twelve songs over five days; "Umbrella" plays 10, 20, 30, 40, 50 times. */
function playsCsv(): string {
  const lines = ['Song,Date,Number of Plays'];
  for (let day = 1; day <= 5; day += 1) {
    const date = `2024-03-0${day}`;
    lines.push(`Umbrella,${date},${day * 10}`);
    lines.push(`"Rock, Paper",${date},${day}`);
    for (let song = 1; song <= 10; song += 1) lines.push(`Song ${song},${date},${song}`);
  }
  return `${lines.join('\n')}\n`;
}

describe.skipIf(!available)('the result view in Chromium, against a live system', () => {
  let system: LiveSystem;
  let browser: Browser;
  let page: Page;
  let watched: { foreign: string[]; errors: string[] };

  beforeAll(async () => {
    system = await startLiveSystem();
    browser = await launchChromium();
    page = await (await browser.newContext({ viewport: { width: 1280, height: 900 } })).newPage();
    page.setDefaultTimeout(STEP.timeout);
    watched = watchPage(page, system.origin);
    await page.goto(system.origin);
  });

  afterAll(async () => {
    await browser?.close();
    await system?.stop();
    expect(watched?.foreign ?? [], 'requests outside the app origin').toEqual([]);
    expect(watched?.errors ?? [], 'uncaught page errors').toEqual([]);
  });

  it('opens a result: first rows, top 10, and a searched song drawn per day', async () => {
    await page.getByLabel('Choose a CSV file').setInputFiles({
      name: 'march-plays.csv',
      mimeType: 'text/csv',
      buffer: Buffer.from(playsCsv()),
    });
    const row = page.getByRole('row').filter({ hasText: 'march-plays.csv' });
    await expect.poll(() => row.getByText('succeeded').count(), STEP).toBe(1);
    await row.getByRole('button', { name: 'View result of march-plays.csv' }).click();

    const dialog = page.getByRole('dialog', { name: 'Result of march-plays.csv' });
    const firstRows = dialog.getByRole('table', { name: 'First rows' }).getByRole('row');
    await expect.poll(() => firstRows.count(), STEP).toBe(21); // header + 20
    expect(await firstRows.nth(1).textContent()).toBe('Rock, Paper2024-03-011');
    const top = dialog.getByRole('list', { name: 'Top 10 songs' }).getByRole('listitem');
    await expect.poll(() => top.count(), STEP).toBe(10);
    expect(await top.first().textContent()).toBe('Umbrella 150 plays');
    expect(await top.nth(1).textContent()).toBe('Song 10 50 plays');

    // Keyboard: the song field has focus; type and press Enter.
    await page.keyboard.type('Umbrella');
    await page.keyboard.press('Enter');
    const chart = dialog.getByRole('img', { name: 'Plays per day of the song searched' });
    await expect.poll(() => chart.getAttribute('data-song'), STEP).toBe('Umbrella');
    const data = await chart.evaluate(
      (element) => (element as HTMLElement & { plot: { data: number[][] } }).plot.data,
    );
    expect(data).toEqual([
      [1709251200, 1709337600, 1709424000, 1709510400, 1709596800],
      [10, 20, 30, 40, 50],
    ]);
    expect(await chart.locator('canvas').count()).toBe(1);
    expect(await dialog.getByText('Umbrella: 150 plays over 5 day(s).').count()).toBe(1);
    await screenshot(page, 'result-view-umbrella');

    // A top-10 entry searches its song; a quoted song comes back whole.
    await dialog.getByRole('button', { name: 'Song 10' }).click();
    await expect.poll(() => chart.getAttribute('data-song'), STEP).toBe('Song 10');
    await dialog.getByRole('searchbox', { name: 'Song', exact: true }).fill('Rock, Paper');
    await dialog.getByRole('button', { name: 'Search', exact: true }).click();
    await expect.poll(() => chart.getAttribute('data-song'), STEP).toBe('Rock, Paper');
    expect(
      await chart.evaluate(
        (element) => (element as HTMLElement & { plot: { data: number[][] } }).plot.data[1],
      ),
    ).toEqual([1, 2, 3, 4, 5]);

    // On a phone: nothing wider than the screen.
    await page.setViewportSize({ width: 375, height: 800 });
    const overflow = await page.evaluate(
      () => document.documentElement.scrollWidth - document.documentElement.clientWidth,
    );
    expect(overflow).toBe(0);
    await screenshot(page, 'result-view-phone');
    await page.keyboard.press('Escape');
    await expect.poll(() => dialog.isVisible(), STEP).toBe(false);

    // The job counts once in the throughput chart.
    const throughput = page.getByRole('img', { name: /^Jobs finished per minute/ });
    await expect
      .poll(
        () =>
          throughput.evaluate((element) =>
            ((element as HTMLElement & { plot?: { data: number[][] } }).plot?.data[1] ?? []).reduce(
              (a, b) => a + b,
              0,
            ),
          ),
        STEP,
      )
      .toBe(1);
  });
});
