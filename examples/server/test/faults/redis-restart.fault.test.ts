import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CANONICAL_INPUT, CANONICAL_OUTPUT } from '../canonical.js';
import { type OwnRedis, startOwnRedis } from '../services/own-redis.js';
import { resultOf, submitJob, waitForJob } from './job-ledger.js';
import { MessageLedger, printFigures } from './message-ledger.js';
import { createFaultSystem, type FaultSystem } from './system.js';

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

async function metric(base: string, name: string): Promise<number> {
  const text = await (await fetch(`${base}/metrics`)).text();
  return text
    .split('\n')
    .filter((line) => line.startsWith(name))
    .reduce((sum, line) => sum + Number(line.split(' ').at(-1)), 0);
}

describe('Redis restarted without persistence', () => {
  let redis: OwnRedis;
  let system: FaultSystem;

  beforeAll(async () => {
    redis = await startOwnRedis();
    system = await createFaultSystem({ TRANSPORT_URL: redis.url });
    await system.startApi();
  });

  afterAll(async () => {
    await system?.close();
    await redis?.destroy();
  });

  it('loses what the broker held, and the reconciler publishes it again', async () => {
    const url = () => system.url();
    const ledger = new MessageLedger(url);
    const posting = ledger.run(100);
    const jobs = [submitJob(url, CANONICAL_INPUT), submitJob(url, CANONICAL_INPUT)];
    await sleep(3000);
    ledger.stop();
    await posting;
    const submitted = await Promise.all(jobs);
    // Everything is published (confirmed by Redis) and nobody consumed it yet.
    for (let n = 0; n < 100 && (await metric(url()!, 'playtally_outbox_backlog')) > 0; n += 1) {
      await sleep(100);
    }
    await redis.restartEmpty();
    await system.startWorker();
    const figures = await ledger.settle(60_000);
    const finished = await Promise.all(
      submitted.map((job) => waitForJob(url()!, job.id ?? 'none', 60_000)),
    );
    const republished = await metric(url()!, 'playtally_reconciler_republished_total');
    printFigures('redis restarted empty', figures, {
      republished,
      jobsSucceeded: finished.filter((job) => job.status === 'succeeded').length,
    });
    expect(figures.accepted).toBeGreaterThan(100);
    expect(republished).toBeGreaterThanOrEqual(figures.accepted);
    expect(figures.lost).toBe(0);
    expect(figures.duplicated).toBe(0);
    expect(finished.map((job) => job.status)).toEqual(['succeeded', 'succeeded']);
    expect(await resultOf(url()!, submitted[0]!.id!)).toBe(CANONICAL_OUTPUT);
  }, 180_000);
});
