import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { chromiumAvailable, launchChromium, screenshot } from '../../test/browser/chromium.js';
import { type LiveSystem, startLiveSystem } from '../../test/browser/live-system.js';

const available = await chromiumAvailable();

describe.skipIf(!available)('/docs in Chromium', () => {
  let system: LiveSystem;
  let browser: Browser;

  beforeAll(async () => {
    system = await startLiveSystem();
    browser = await launchChromium();
  });

  afterAll(async () => {
    await browser?.close();
    await system?.stop();
  });

  it('lists every operation of the document with the network closed to everything but the app', async () => {
    const context = await browser.newContext({ viewport: { width: 1280, height: 900 } });
    const refused: string[] = [];
    const { host } = new URL(system.origin);
    // As on a machine without internet: anything not served by the app itself fails.
    await context.route('**/*', (route) => {
      const url = new URL(route.request().url());
      if (url.host === host) return route.continue();
      refused.push(url.href);
      return route.abort('internetdisconnected');
    });
    const page = await context.newPage();
    await page.goto(`${system.origin}/docs`);
    const document = (await (await fetch(`${system.origin}/openapi.json`)).json()) as {
      paths: Record<string, Record<string, unknown>>;
    };
    const operations = Object.values(document.paths).flatMap((item) => Object.keys(item)).length;
    await expect.poll(() => page.locator('.opblock').count(), { timeout: 15_000 }).toBe(operations);
    const paths = await page.locator('.opblock-summary-path').allTextContents();
    expect(paths.map((p) => p.replace(/\u200b/g, ''))).toEqual(
      expect.arrayContaining(['/v1/jobs', '/v1/messages', '/healthz']),
    );
    await screenshot(page, 'docs-offline');
    expect(refused).toEqual([]);
    await context.close();
  });
});
