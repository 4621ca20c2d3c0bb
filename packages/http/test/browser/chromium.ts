import { constants } from 'node:fs';
import { access, mkdir } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import { requireService } from '@playtally/transport/testing';
import { type Browser, chromium, type Page } from 'playwright-core';

/** Debian's Chromium; the tests never download a browser. */
export const CHROMIUM_PATH = '/usr/bin/chromium';

/** Flags for a quiet headless Chromium that contacts nothing on its own. */
export const CHROMIUM_ARGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-background-networking',
  '--disable-quic',
  '--no-first-run',
  '--disable-component-update',
  '--disable-sync',
];

/** Where screenshots go (gitignored). */
export const ARTIFACTS_DIR = fileURLToPath(new URL('../../../../test-artifacts/', import.meta.url));

/**
 * True when Chromium is installed; otherwise the browser tests skip with a message (or fail
 * under `REQUIRE_SERVICES=1`).
 */
export function chromiumAvailable(): Promise<boolean> {
  return requireService(`Chromium at ${CHROMIUM_PATH}`, () =>
    access(CHROMIUM_PATH, constants.X_OK),
  );
}

/** Starts headless Chromium. */
export function launchChromium(): Promise<Browser> {
  return chromium.launch({ executablePath: CHROMIUM_PATH, args: CHROMIUM_ARGS, timeout: 30_000 });
}

/**
 * Records every request and WebSocket the page opens that leaves `origin` (data: and blob: URLs
 * stay in the page, so they do not count), and every uncaught page error.
 */
export function watchPage(page: Page, origin: string): { foreign: string[]; errors: string[] } {
  const foreign: string[] = [];
  const errors: string[] = [];
  const { host } = new URL(origin);
  const check = (raw: string) => {
    const url = new URL(raw);
    if (url.protocol === 'data:' || url.protocol === 'blob:') return;
    if (url.host !== host || !['http:', 'ws:'].includes(url.protocol)) foreign.push(raw);
  };
  page.on('request', (request) => check(request.url()));
  page.on('websocket', (ws) => check(ws.url()));
  page.on('pageerror', (error) => errors.push(error.message));
  return { foreign, errors };
}

/** Saves a full-page screenshot under {@link ARTIFACTS_DIR}; returns its path. */
export async function screenshot(page: Page, name: string): Promise<string> {
  await mkdir(ARTIFACTS_DIR, { recursive: true });
  const path = `${ARTIFACTS_DIR}${name}.png`;
  await page.screenshot({ path, fullPage: true });
  return path;
}
