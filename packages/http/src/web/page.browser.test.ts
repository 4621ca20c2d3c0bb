import { randomUUID } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { CANONICAL_INPUT, CANONICAL_OUTPUT } from '@playtally/core';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  chromiumAvailable,
  launchChromium,
  screenshot,
  watchPage,
} from '../../test/browser/chromium.js';
import { type LiveSystem, startLiveSystem } from '../../test/browser/live-system.js';

const BAD_CSV = 'Song,Date,Number of Plays\nUmbrella,2020-01-01,100\nUmbrella,2020-01-02,12a\n';

const available = await chromiumAvailable();
const STEP = { timeout: 15_000 };

describe.skipIf(!available)('the web page in Chromium, against a live system', () => {
  let system: LiveSystem;
  let browser: Browser;
  let context: BrowserContext;
  const watched: Array<{ foreign: string[]; errors: string[] }> = [];

  async function openPage(target: BrowserContext = context): Promise<Page> {
    const page = await target.newPage();
    page.setDefaultTimeout(STEP.timeout);
    watched.push(watchPage(page, system.origin));
    await page.goto(system.origin);
    return page;
  }

  const connection = (page: Page) => page.getByRole('status', { name: 'Connection' });
  const jobRow = (page: Page, filename: string) =>
    page.getByRole('row').filter({ hasText: filename });
  const messageItem = (page: Page, text: string) =>
    page
      .getByRole('list', { name: 'Live messages' })
      .getByRole('listitem')
      .filter({ hasText: text });

  beforeAll(async () => {
    system = await startLiveSystem();
    browser = await launchChromium();
    context = await browser.newContext({ viewport: { width: 1280, height: 900 } });
  });

  afterAll(async () => {
    await browser?.close();
    await system?.stop();
    // Nothing any page did, in any test, left the app's origin or threw.
    const foreign = watched.flatMap((w) => w.foreign);
    const errors = watched.flatMap((w) => w.errors);
    expect(foreign, 'requests outside the app origin').toEqual([]);
    expect(errors, 'uncaught page errors').toEqual([]);
  });

  it('shows the events connection as connected', async () => {
    const page = await openPage();
    await expect.poll(() => connection(page).textContent(), STEP).toContain('Connected');
    await page.close();
  });

  it('uploads the canonical CSV, shows it succeed without a reload, and downloads the exact result', async () => {
    const page = await openPage();
    await expect.poll(() => connection(page).textContent(), STEP).toContain('Connected');
    const filename = `canonical-${randomUUID().slice(0, 8)}.csv`;
    await page.getByLabel('Choose a CSV file').setInputFiles({
      name: filename,
      mimeType: 'text/csv',
      buffer: Buffer.from(CANONICAL_INPUT),
    });

    // The upload bar fills and the job appears, then succeeds, all live.
    await expect
      .poll(
        () =>
          page.getByLabel('Upload progress').evaluate((el) => (el as HTMLProgressElement).value),
        STEP,
      )
      .toBe(1);
    const row = jobRow(page, filename);
    await expect.poll(() => row.getByText('succeeded').count(), STEP).toBe(1);
    expect(await row.getByRole('cell').nth(3).textContent()).toBe('7'); // rows read
    expect(await row.getByRole('cell').nth(4).textContent()).toBe('4'); // groups written
    expect(
      await row
        .getByLabel(`Progress of ${filename}`)
        .evaluate((el) => (el as HTMLProgressElement).value),
    ).toBe(1);
    await screenshot(page, 'page-job-succeeded');

    const [download] = await Promise.all([
      page.waitForEvent('download'),
      row.getByRole('link', { name: `Download result of ${filename}` }).click(),
    ]);
    const path = await download.path();
    expect(await readFile(path, 'utf8')).toBe(CANONICAL_OUTPUT);
    expect(download.suggestedFilename()).toMatch(/\.csv$/);
    await page.close();
  });

  it('moves the progress bar of a running job live, then offers its result', async () => {
    const page = await openPage();
    await expect.poll(() => connection(page).textContent(), STEP).toContain('Connected');
    const filename = `progress-${randomUUID().slice(0, 8)}.csv`;
    // Record the bar's value each time the page redraws the job's row.
    await page.evaluate((name) => {
      const seen: number[] = [];
      (window as unknown as { seenProgress: number[] }).seenProgress = seen;
      new MutationObserver((records) => {
        for (const record of records) {
          for (const node of record.addedNodes) {
            if (node instanceof HTMLTableRowElement && node.textContent?.includes(name)) {
              seen.push((node.querySelector('progress') as HTMLProgressElement).value);
            }
          }
        }
      }).observe(document.getElementById('jobs-body') as HTMLElement, { childList: true });
    }, filename);

    // About 6.6 MB read at 6.4 MB/s: long enough for several progress reports.
    const lines = ['Song,Date,Number of Plays'];
    for (let i = 0; i < 300_000; i += 1)
      lines.push(`Song ${i % 97},2020-01-${10 + (i % 20)},${i % 1000}`);
    system.slowReads(10);
    try {
      const response = await fetch(`${system.origin}/v1/jobs?filename=${filename}`, {
        method: 'POST',
        headers: { 'Content-Type': 'text/csv' },
        body: `${lines.join('\n')}\n`,
      });
      expect(response.status).toBe(202);
      const row = jobRow(page, filename);
      await expect.poll(() => row.getByText('succeeded').count(), { timeout: 30_000 }).toBe(1);
    } finally {
      system.slowReads(0);
    }
    const seen = await page.evaluate(
      () => (window as unknown as { seenProgress: number[] }).seenProgress,
    );
    const partial = seen.filter((value) => value > 0 && value < 1);
    expect(partial.length, `progress values seen: ${seen.join(', ')}`).toBeGreaterThanOrEqual(2);
    expect([...partial].sort((a, b) => a - b)).toEqual(partial); // never backwards
    expect(seen.at(-1)).toBe(1);
    expect(await jobRow(page, filename).getByRole('cell').nth(3).textContent()).toBe('300,000');
    await page.close();
  });

  it('takes a file dropped on the drop zone, and cancels a running job with its button', async () => {
    const page = await openPage();
    await expect.poll(() => connection(page).textContent(), STEP).toContain('Connected');
    const filename = `dropped-${randomUUID().slice(0, 8)}.csv`;
    const lines = ['Song,Date,Number of Plays'];
    for (let i = 0; i < 300_000; i += 1)
      lines.push(`Song ${i % 13},2020-02-${10 + (i % 9)},${i % 50}`);
    system.slowReads(40);
    try {
      // What a browser does when a file is dropped: a drop event carrying it.
      await page.evaluate(
        ({ name, text }) => {
          const transfer = new DataTransfer();
          transfer.items.add(new File([text], name, { type: 'text/csv' }));
          const zone = document.getElementById('dropzone') as HTMLElement;
          zone.dispatchEvent(
            new DragEvent('dragover', { dataTransfer: transfer, bubbles: true, cancelable: true }),
          );
          zone.dispatchEvent(
            new DragEvent('drop', { dataTransfer: transfer, bubbles: true, cancelable: true }),
          );
        },
        { name: filename, text: `${lines.join('\n')}\n` },
      );
      const row = jobRow(page, filename);
      await expect.poll(() => row.getByText('processing').count(), STEP).toBe(1);
      await row.getByRole('button', { name: `Cancel ${filename}` }).click();
      await expect.poll(() => row.getByText('cancelled').count(), STEP).toBe(1);
      expect(await row.getByRole('button', { name: /Cancel/ }).count()).toBe(0);
      expect(await row.getByRole('link', { name: /Download/ }).count()).toBe(0);
    } finally {
      system.slowReads(0);
    }
    await page.close();
  });

  it('shows why a bad CSV failed, naming the line, in the jobs table', async () => {
    const page = await openPage();
    const filename = `bad-${randomUUID().slice(0, 8)}.csv`;
    await page.getByLabel('Choose a CSV file').setInputFiles({
      name: filename,
      mimeType: 'text/csv',
      buffer: Buffer.from(BAD_CSV),
    });
    const row = jobRow(page, filename);
    await expect.poll(() => row.getByText('failed', { exact: true }).count(), STEP).toBe(1);
    const error = await row.locator('.job-error').textContent();
    expect(error).toMatch(/line 3/);
    expect(error).toContain('12a');
    expect(await row.getByRole('link', { name: /Download/ }).count()).toBe(0);
    await screenshot(page, 'page-job-failed');
    await page.close();
  });

  it('shows a message posted in one page in another, received and then consumed, without reload', async () => {
    const sender = await openPage();
    const watcher = await openPage(await browser.newContext());
    await expect.poll(() => connection(watcher).textContent(), STEP).toContain('Connected');
    // Record every state the watcher's item for this message goes through.
    const nonce = randomUUID();
    await watcher.evaluate((text) => {
      const seen: string[] = [];
      (window as unknown as { seenStatuses: string[] }).seenStatuses = seen;
      new MutationObserver((records) => {
        for (const record of records) {
          for (const node of record.addedNodes) {
            if (node instanceof HTMLElement && node.textContent?.includes(text)) {
              seen.push(node.dataset.status ?? '?');
            }
          }
        }
      }).observe(document.getElementById('feed') as HTMLElement, { childList: true });
    }, nonce);

    const hostile = '<img src=x onerror=window.pwned=1>';
    await sender.getByLabel('Message JSON').fill(JSON.stringify({ nonce, note: hostile }));
    await sender.getByRole('button', { name: 'Send message' }).click();

    const item = messageItem(watcher, nonce);
    await expect.poll(() => item.getByText('consumed').count(), STEP).toBe(1);
    const statuses = await watcher.evaluate(
      () => (window as unknown as { seenStatuses: string[] }).seenStatuses,
    );
    expect(statuses[0]).toBe('received');
    expect(statuses.at(-1)).toBe('consumed');
    // Server-provided text is shown as text, never parsed as markup.
    expect(await item.textContent()).toContain(hostile);
    expect(await watcher.locator('#feed img').count()).toBe(0);
    expect(await watcher.evaluate(() => 'pwned' in window)).toBe(false);
    // The sender's own feed shows it too.
    await expect.poll(() => messageItem(sender, nonce).getByText('consumed').count(), STEP).toBe(1);
    await screenshot(watcher, 'page-message-feed');
    await sender.close();
    await watcher.close();
  });

  it('checks the JSON before sending and shows what the server refuses', async () => {
    const page = await openPage();
    const posts: string[] = [];
    page.on('request', (request) => {
      if (request.method() === 'POST') posts.push(request.url());
    });
    await page.getByLabel('Message JSON').fill('{"unclosed": ');
    await page.getByRole('button', { name: 'Send message' }).click();
    await expect
      .poll(() => page.locator('#message-error').textContent(), STEP)
      .toMatch(/Not valid JSON/);
    expect(await page.getByLabel('Message JSON').getAttribute('aria-invalid')).toBe('true');
    await page.getByLabel('Message JSON').fill('[1, 2]');
    await page.getByRole('button', { name: 'Send message' }).click();
    await expect
      .poll(() => page.locator('#message-error').textContent(), STEP)
      .toMatch(/JSON object/);
    expect(posts).toEqual([]);

    // A type the server rejects: its error is shown.
    await page.getByLabel('Message type').fill('not a valid type!');
    await page.getByLabel('Message JSON').fill('{"ok": true}');
    await page.getByRole('button', { name: 'Send message' }).click();
    await expect
      .poll(() => page.locator('#message-error').textContent(), STEP)
      .toMatch(/server refused/);
    expect(posts).toHaveLength(1);
    await page.close();
  });

  it('can be used with the keyboard alone', async () => {
    const page = await openPage();
    await expect.poll(() => connection(page).textContent(), STEP).toContain('Connected');
    const nonce = randomUUID();
    await page.getByLabel('Message JSON').focus();
    await page.keyboard.press('ControlOrMeta+A');
    await page.keyboard.type(`{"typed": "${nonce}"}`);
    await page.keyboard.press('Tab');
    expect(await page.evaluate(() => document.activeElement?.textContent)).toBe('Send message');
    await page.keyboard.press('Enter');
    await expect.poll(() => messageItem(page, nonce).count(), STEP).toBe(1);
    await page.close();
  });

  it('reconnects by itself after losing the events connection and catches up on what it missed', async () => {
    const page = await openPage();
    await expect.poll(() => connection(page).textContent(), STEP).toContain('Connected');
    system.refuseEvents(true);
    system.dropEvents();
    await expect
      .poll(() => connection(page).textContent(), STEP)
      .toMatch(/Disconnected|Connecting/);

    // Posted while the page cannot hear events: it must appear after the reconnect anyway.
    const nonce = randomUUID();
    const response = await fetch(`${system.origin}/v1/messages`, {
      method: 'POST',
      headers: { 'Content-Type': 'application/json' },
      body: JSON.stringify({ missed: nonce }),
    });
    expect(response.status).toBe(202);
    await new Promise((resolve) => setTimeout(resolve, 300));
    expect(await messageItem(page, nonce).count()).toBe(0);

    system.refuseEvents(false);
    await expect.poll(() => connection(page).textContent(), STEP).toContain('Connected');
    await expect.poll(() => messageItem(page, nonce).count(), STEP).toBe(1);
    await page.close();
  });

  it('loads older messages on demand, a page at a time', async () => {
    const page = await openPage();
    await expect.poll(() => connection(page).textContent(), STEP).toContain('Connected');
    const feed = page.getByRole('list', { name: 'Live messages' }).getByRole('listitem');
    const before = await page.request.get(`${system.origin}/v1/messages?limit=500`);
    const existing = ((await before.json()) as { items: unknown[] }).items.length;
    for (let i = 0; i < 60; i += 1) {
      const response = await fetch(`${system.origin}/v1/messages`, {
        method: 'POST',
        headers: { 'Content-Type': 'application/json' },
        body: JSON.stringify({ batch: i }),
      });
      expect(response.status).toBe(202);
    }
    // A fresh page shows the first page (50) and offers the rest.
    await page.reload();
    const older = page.getByRole('button', { name: 'Load older messages' });
    await older.waitFor({ state: 'visible' });
    expect(await feed.count()).toBe(50);
    for (let clicks = 0; clicks < 5 && (await older.isVisible()); clicks += 1) {
      await older.click();
      await page.waitForTimeout(200);
    }
    await expect.poll(() => feed.count(), STEP).toBe(existing + 60);
    await page.close();
  });

  it('fits a 375 px wide phone screen without sideways scrolling', async () => {
    const phone = await browser.newContext({
      viewport: { width: 375, height: 812 },
      isMobile: true,
    });
    const page = await openPage(phone);
    await expect.poll(() => jobRow(page, 'canonical-').count(), STEP).toBeGreaterThan(0);
    const width = await page.evaluate(() => document.documentElement.scrollWidth);
    expect(width).toBeLessThanOrEqual(375);
    await screenshot(page, 'page-375px');
    await phone.close();
  });
});

describe.skipIf(!available)('the web page with an API key required', () => {
  let system: LiveSystem;
  let browser: Browser;

  beforeAll(async () => {
    system = await startLiveSystem({ apiKey: 'browser-test-key' });
    browser = await launchChromium();
  });

  afterAll(async () => {
    await browser?.close();
    await system?.stop();
  });

  it('asks for the key on 401, then works with it and remembers it', async () => {
    const context = await browser.newContext();
    const page = await context.newPage();
    page.setDefaultTimeout(STEP.timeout);
    const { foreign } = watchPage(page, system.origin);
    await page.goto(system.origin);
    const keyField = page.getByLabel('API key', { exact: true });
    await keyField.waitFor({ state: 'visible' });
    await screenshot(page, 'page-api-key');

    await keyField.fill('browser-test-key');
    await page.getByRole('button', { name: 'Save key' }).click();
    await expect.poll(() => keyField.isVisible(), STEP).toBe(false);
    await expect
      .poll(() => page.getByRole('status', { name: 'Connection' }).textContent(), STEP)
      .toContain('Connected');

    const nonce = randomUUID();
    await page.getByLabel('Message JSON').fill(JSON.stringify({ nonce }));
    await page.getByRole('button', { name: 'Send message' }).click();
    const item = page.getByRole('listitem').filter({ hasText: nonce });
    await expect.poll(() => item.getByText('consumed').count(), STEP).toBe(1);

    // A reload keeps the key (localStorage): no prompt, lists load.
    await page.reload();
    await expect.poll(() => item.count(), STEP).toBe(1);
    expect(await keyField.isVisible()).toBe(false);
    expect(foreign).toEqual([]);
    await context.close();
  });
});
