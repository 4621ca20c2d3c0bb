import { randomBytes } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { probeTcp, requireService } from '@playtally/transport/testing';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  chromiumAvailable,
  launchChromium,
  screenshot,
  watchPage,
} from '../../../../packages/http/test/browser/chromium.js';
import { deleteStreams, REDIS_URL } from '../../../../packages/transport-redis/test/redis.js';
import { createTestSchema, POSTGRES_URL, probePostgres } from '../postgres.js';
import { dump, type ServerProcess, startServerProcess } from '../server-process.js';

const available =
  (await chromiumAvailable()) &&
  (await requireService('Redis at 127.0.0.1:6379', () => probeTcp('127.0.0.1', 6379))) &&
  (await requireService(`PostgreSQL at ${POSTGRES_URL}`, probePostgres));

const HEARTBEAT_MS = 300;
const STEP = { timeout: 20_000 };

describe.skipIf(!available)('worker processes on the System view (Redis, PostgreSQL)', () => {
  const prefix = `workers-${randomBytes(4).toString('hex')}`;
  let directory: string;
  let schema: Awaited<ReturnType<typeof createTestSchema>>;
  let api: ServerProcess;
  let workers: ServerProcess[] = [];
  let browser: Browser;
  let page: Page;
  let watched: { foreign: string[]; errors: string[] };

  const workerRow = (pid: number) =>
    page
      .getByRole('table', { name: 'Workers' })
      .getByRole('row')
      .filter({ hasText: `pid ${pid}` });

  beforeAll(async () => {
    directory = await mkdtemp(join(tmpdir(), 'playtally-workers-'));
    schema = await createTestSchema();
    const env = {
      TRANSPORT_URL: REDIS_URL,
      DATABASE_URL: schema.url,
      STORAGE_URL: `file:${join(directory, 'blobs')}`,
      TOPIC_PREFIX: prefix,
      WORKER_HEARTBEAT_MS: String(HEARTBEAT_MS),
      SHUTDOWN_TIMEOUT_MS: '3000',
      LOG_LEVEL: 'info',
    };
    api = await startServerProcess('api', { env, cwd: directory });
    workers = await Promise.all([
      startServerProcess('worker', { env, cwd: directory }),
      startServerProcess('worker', { env, cwd: directory }),
    ]);
    browser = await launchChromium();
    page = await (await browser.newContext({ viewport: { width: 1280, height: 900 } })).newPage();
    page.setDefaultTimeout(STEP.timeout);
    watched = watchPage(page, api.url!);
    await page.goto(api.url!);
  }, 120_000);

  afterAll(async () => {
    await browser?.close();
    for (const process of [...workers, api]) await process?.stop();
    await deleteStreams([
      `${prefix}.playtally.jobs`,
      `${prefix}.playtally.messages`,
      `${prefix}.playtally.events`,
    ]).catch(() => {});
    await schema?.drop();
    await rm(directory, { recursive: true, force: true });
    expect(watched?.foreign ?? [], 'requests outside the app origin').toEqual([]);
    expect(watched?.errors ?? [], 'uncaught page errors').toEqual([]);
  }, 60_000);

  it('shows two workers alive; one killed with SIGKILL turns lost within the heartbeat window', async () => {
    const [survivor, victim] = workers as [ServerProcess, ServerProcess];
    const survivorPid = survivor.child.pid!;
    const victimPid = victim.child.pid!;
    for (const pid of [survivorPid, victimPid]) {
      await expect.poll(() => workerRow(pid).getByText('alive').count(), STEP).toBe(1);
    }
    expect(await workerRow(victimPid).getByRole('cell').nth(5).textContent()).toBe('redis');
    await screenshot(page, 'system-two-workers');

    victim.child.kill('SIGKILL');
    const lostWithin = 3 * HEARTBEAT_MS + 5000;
    const deadline = Date.now() + lostWithin;
    await expect
      .poll(() => workerRow(victimPid).getByText('lost').count(), {
        timeout: lostWithin,
        interval: 100,
      })
      .toBe(1);
    expect(await workerRow(survivorPid).getByText('alive').count()).toBe(1);
    // The API agrees with the page, within the same window: each judges from the moment it
    // received the last heartbeat itself, so one may turn a moment before the other.
    const listed = async () => {
      const body = (await (await fetch(`${api.url}/v1/workers`)).json()) as {
        items: { pid: number; status: string }[];
      };
      return body.items.map(({ pid, status }) => [pid, status]).sort();
    };
    await expect
      .poll(listed, { timeout: Math.max(1000, deadline - Date.now()), interval: 100 })
      .toEqual(
        [
          [survivorPid, 'alive'],
          [victimPid, 'lost'],
        ].sort(),
      );
    await screenshot(page, 'system-worker-lost');

    // The survivor says goodbye on SIGTERM and leaves the list.
    expect(await survivor.stop(), dump(survivor.logs)).toBe(0);
    await expect.poll(() => workerRow(survivorPid).count(), STEP).toBe(0);
  });
});
