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

describe.skipIf(!available)('the System view in Chromium, against a live system', () => {
  let system: LiveSystem;
  let browser: Browser;
  let page: Page;
  let watched: { foreign: string[]; errors: string[] };

  const connection = () => page.getByRole('status', { name: 'Connection' });
  const queueCell = (column: number) =>
    page
      .getByRole('table', { name: 'Queues' })
      .getByRole('row')
      .filter({ hasText: 'playtally.messages' })
      .getByRole('cell')
      .nth(column)
      .textContent();
  const deadLetters = () => page.getByRole('list', { name: 'Dead letters' }).getByRole('listitem');
  const post = (data: unknown) =>
    page.evaluate(async (body) => {
      const response = await fetch('v1/messages', {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify(body),
      });
      return ((await response.json()) as { id: string }).id;
    }, data);
  const messageStatus = (id: string) =>
    page.evaluate(
      async (messageId) =>
        ((await (await fetch(`v1/messages/${messageId}`)).json()) as { status: string }).status,
      id,
    );

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

  it('shows the worker alive with its transport', async () => {
    await expect.poll(() => connection().textContent(), STEP).toContain('Connected');
    const row = page
      .getByRole('table', { name: 'Workers' })
      .getByRole('row')
      .filter({
        hasText: `pid ${process.pid}`,
      });
    await expect.poll(() => row.getByText('alive').count(), STEP).toBe(1);
    expect(await row.getByRole('cell').nth(5).textContent()).toBe('memory');
  });

  it('shows queue depth rise while the consumer is paused and fall when it resumes', async () => {
    await expect.poll(() => queueCell(4), STEP).toBe('1'); // one consumer
    await system.pauseConsumer();
    for (let n = 0; n < 4; n += 1) await post({ n });
    // Nothing reloads the page: the figures follow the events on the WebSocket.
    await expect.poll(() => queueCell(2), STEP).toBe('4');
    expect(await queueCell(4)).toBe('0');
    await screenshot(page, 'system-queue-backed-up');
    await system.resumeConsumer();
    await expect.poll(() => queueCell(2), STEP).toBe('0');
    expect(await queueCell(4)).toBe('1');
  });

  it('shows a refused message in dead letters with its reason; Replay gets it consumed, Discard removes it', async () => {
    system.refuseMessages(true);
    const id = await post({ refuse: true, order: 17 });
    const letter = deadLetters().filter({ hasText: 'refused: this message asks to be refused' });
    await expect.poll(() => letter.count(), STEP).toBe(1);
    expect(await letter.textContent()).toContain('playtally.messages · group consumers');
    await expect.poll(() => queueCell(5), STEP).toBe('1');
    expect(await messageStatus(id)).toBe('received');
    await screenshot(page, 'system-dead-letter');

    system.refuseMessages(false);
    await letter.getByRole('button', { name: /^Replay dead letter/ }).click();
    await expect.poll(() => messageStatus(id), STEP).toBe('consumed');
    await expect.poll(() => letter.getByText('replayed').count(), STEP).toBe(1);
    expect(await letter.getByRole('button', { name: /^Replay dead letter/ }).isDisabled()).toBe(
      true,
    );
    await expect.poll(() => queueCell(5), STEP).toBe('0');

    await letter.getByRole('button', { name: /^Discard dead letter/ }).click();
    await expect.poll(() => letter.count(), STEP).toBe(0);
    await expect.poll(() => page.getByText('No dead letters.').isVisible(), STEP).toBe(true);
  });

  it('charts the messages consumed over the last 15 minutes, one point a minute', async () => {
    const chart = page.getByRole('img', { name: /^Jobs finished per minute/ });
    const data = () =>
      chart.evaluate(
        (element) => (element as HTMLElement & { plot?: { data: number[][] } }).plot?.data,
      );
    // Four messages consumed while the consumer was paused and resumed, and one replayed.
    await expect
      .poll(
        async () => Math.round(((await data())?.[2] ?? []).reduce((a, b) => a + b, 0) * 60),
        STEP,
      )
      .toBe(5);
    const [minutes = [], jobs = []] = (await data()) ?? [];
    expect(minutes).toHaveLength(15);
    expect(minutes[14]! - minutes[0]!).toBe(14 * 60);
    expect(jobs.every((n) => n === 0)).toBe(true);
    expect(await chart.locator('canvas').count()).toBe(1);
  });
});
