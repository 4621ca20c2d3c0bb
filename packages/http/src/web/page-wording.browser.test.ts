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
const HEADER = 'Song,Date,Number of Plays\n';
const CJK_SONG = '夜に駆ける';
const LONG_NAME = 'quarterly_listening_report.for_all_regions_2024_final.csv';

describe.skipIf(!available)(
  'the web page: wording, sizes, loading state, names and scripts',
  () => {
    let system: LiveSystem;
    let browser: Browser;
    const watched: Array<{ foreign: string[]; errors: string[] }> = [];

    /** Submits a raw CSV through the API, as another client would. */
    async function submit(csv: string, filename: string, onInvalid = 'fail'): Promise<string> {
      const query = new URLSearchParams({ filename, onInvalid });
      const response = await fetch(`${system.origin}/v1/jobs?${query}`, {
        method: 'POST',
        headers: { 'content-type': 'text/csv' },
        body: csv,
      });
      expect(response.status).toBe(202);
      return ((await response.json()) as { id: string }).id;
    }

    async function openPage(viewport = { width: 1280, height: 900 }): Promise<Page> {
      const page = await browser.newPage({ viewport });
      page.setDefaultTimeout(STEP.timeout);
      watched.push(watchPage(page, system.origin));
      await page.goto(system.origin);
      return page;
    }

    const jobRow = (page: Page, text: string) => page.getByRole('row').filter({ hasText: text });

    beforeAll(async () => {
      system = await startLiveSystem();
      browser = await launchChromium();
      await submit(`${HEADER}A,2020-01-01,1\nA,2020-02-30,1\n`, 'one-bad-row.csv', 'skip');
      await submit(`${HEADER}A,2020-01-01,1\nA,2020-02-30,1\nA,x,1\n`, 'two-bad-rows.csv', 'skip');
      await submit(`${HEADER}${CJK_SONG},2020-01-01,3\n`, `${CJK_SONG}.csv`);
      await submit(`${HEADER}A,2020-01-01,1\n`, LONG_NAME);
      await fetch(`${system.origin}/v1/messages`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ song: CJK_SONG }),
      });
    });

    afterAll(async () => {
      await browser?.close();
      await system?.stop();
      expect(
        watched.flatMap((w) => w.errors),
        'uncaught page errors',
      ).toEqual([]);
    });

    it('says "1 row skipped" and "2 rows skipped"', async () => {
      const page = await openPage();
      await expect
        .poll(() => jobRow(page, 'one-bad-row.csv').locator('.note').textContent(), STEP)
        .toBe('1 row skipped');
      await expect
        .poll(() => jobRow(page, 'two-bad-rows.csv').locator('.note').textContent(), STEP)
        .toBe('2 rows skipped');
      await page.close();
    });

    it('labels sizes in decimal units, as the CLI and the API count them', async () => {
      const page = await openPage();
      // A string, so the test runner does not rewrite the page's dynamic import.
      const formatted = await page.evaluate(`(async () => {
      const dom = await import(new URL('assets/dom.js', document.baseURI).href);
      return [59700000, 999, 1234, 1024 ** 3].map((bytes) => dom.formatBytes(bytes));
    })()`);
      expect(formatted).toEqual(['59.7 MB', '999 B', '1.23 kB', '1.07 GB']);
      await page.close();
    });

    it('says it is loading until the first page of jobs and messages arrives', async () => {
      const page = await browser.newPage();
      let release: () => void = () => {};
      const held = new Promise<void>((resolve) => {
        release = resolve;
      });
      await page.route(/\/v1\/(jobs|messages)(\?.*)?$/, async (route) => {
        await held;
        await route.continue();
      });
      await page.goto(system.origin);
      const jobsEmpty = page.locator('#jobs-empty');
      const feedEmpty = page.locator('#feed-empty');
      expect(await jobsEmpty.textContent()).toBe('Loading jobs…');
      expect(await jobsEmpty.isVisible()).toBe(true);
      expect(await feedEmpty.textContent()).toBe('Loading messages…');
      expect(await page.getByText('No jobs yet').count()).toBe(0);
      release();
      await expect.poll(() => jobsEmpty.isVisible(), STEP).toBe(false); // jobs exist
      expect(await page.getByText('Loading jobs…').count()).toBe(0);
      await page.close();
    });

    it('renders CJK song names with a real font, not as empty boxes', async () => {
      const page = await openPage();
      const name = jobRow(page, CJK_SONG).locator('.filename');
      await expect.poll(() => name.count(), STEP).toBe(1);
      const feedItem = page.locator('.message-data').filter({ hasText: CJK_SONG });
      await expect.poll(() => feedItem.count(), STEP).toBe(1);
      // Chromium reports which installed fonts drew the glyphs of an element's text.
      const cdp = await page.context().newCDPSession(page);
      await cdp.send('DOM.enable');
      await cdp.send('CSS.enable');
      type Font = { familyName: string; glyphCount: number };
      /** The fonts that drew the CJK name in `selector`'s elements; `undefined` if the page redrew them meanwhile. */
      const fontsOf = async (selector: string): Promise<Font[] | undefined> => {
        try {
          const { root } = await cdp.send('DOM.getDocument', { depth: -1 });
          const { nodeIds } = await cdp.send('DOM.querySelectorAll', {
            nodeId: root.nodeId,
            selector,
          });
          const found: Font[] = [];
          for (const nodeId of nodeIds) {
            const { outerHTML } = await cdp.send('DOM.getOuterHTML', { nodeId });
            if (!outerHTML.includes(CJK_SONG)) continue;
            found.push(...(await cdp.send('CSS.getPlatformFontsForNode', { nodeId })).fonts);
          }
          return found;
        } catch (error) {
          // The page redraws its lists as events arrive: a node just found may be gone.
          if (/could not find node|no node with given id/i.test(String(error))) return undefined;
          throw error;
        }
      };
      for (const selector of ['tr .filename', '.message-data']) {
        let fonts: Font[] = [];
        await expect
          .poll(async () => {
            const read = await fontsOf(selector);
            if (read !== undefined) fonts = read;
            return read !== undefined;
          }, STEP)
          .toBe(true);
        const cjk = fonts.filter((font) => /CJK|Han|Gothic|Mincho|Hei|Song/i.test(font.familyName));
        expect(cjk, `${selector}: ${JSON.stringify(fonts)}`).not.toEqual([]);
        expect(cjk.reduce((sum, font) => sum + font.glyphCount, 0)).toBeGreaterThanOrEqual(
          [...CJK_SONG].length,
        );
      }
      // And the glyphs take room: five characters measured in the element's own font.
      const width = await name.evaluate((element, text) => {
        const canvas = document
          .createElement('canvas')
          .getContext('2d') as CanvasRenderingContext2D;
        canvas.font = getComputedStyle(element).font;
        return canvas.measureText(text).width;
      }, CJK_SONG);
      expect(width).toBeGreaterThan(0);
      await screenshot(page, 'page-cjk');
      await page.close();
    });

    it('wraps a long file name between its parts, never inside a word', async () => {
      const page = await openPage({ width: 375, height: 812 });
      const name = jobRow(page, 'quarterly').locator('.filename');
      await expect.poll(() => name.count(), STEP).toBe(1);
      // The characters after which a new line starts, once the row is laid out (polled: a row
      // rendered but not yet laid out reports every character at the same place).
      const lineBreaks = () =>
        name.evaluate((element) => {
          const text = element.textContent ?? '';
          const range = document.createRange();
          const tops: number[] = [];
          const walker = document.createTreeWalker(element, NodeFilter.SHOW_TEXT);
          for (let node = walker.nextNode(); node; node = walker.nextNode()) {
            for (let i = 0; i < (node.textContent ?? '').length; i += 1) {
              range.setStart(node, i);
              range.setEnd(node, i + 1);
              tops.push(range.getBoundingClientRect().top);
            }
          }
          const before: string[] = [];
          for (let i = 1; i < tops.length; i += 1) {
            if ((tops[i] ?? 0) > (tops[i - 1] ?? 0) + 1) before.push(text[i - 1] ?? '');
          }
          return before;
        });
      await expect.poll(async () => (await lineBreaks()).length, STEP).toBeGreaterThan(0); // it wraps at this width
      const breaks = await lineBreaks();
      for (const character of breaks) expect('_.-').toContain(character);
      await screenshot(page, 'page-long-file-name');
      await page.close();
    });
  },
);
