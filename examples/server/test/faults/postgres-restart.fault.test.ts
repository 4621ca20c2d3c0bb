import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CANONICAL_INPUT, CANONICAL_OUTPUT } from '../canonical.js';
import { dump } from '../server-process.js';
import { type OwnPostgres, startOwnPostgres } from '../services/own-postgres.js';
import { type OwnRedis, startOwnRedis } from '../services/own-redis.js';
import { resultOf, type SubmittedJob, submitJob, waitForJob } from './job-ledger.js';
import { MessageLedger, printFigures } from './message-ledger.js';
import { createFaultSystem, type FaultSystem, logLines } from './system.js';

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** A job that takes a few seconds: many distinct songs. */
const WIDE_CSV = `Song,Date,Number of Plays\n${Array.from(
  { length: 400_000 },
  (_, n) => `song ${n},2020-01-01,1`,
).join('\n')}\n`;

describe('PostgreSQL restarted, then away for 3 s, while the API and two workers are under load', () => {
  let postgres: OwnPostgres;
  let redis: OwnRedis;
  let system: FaultSystem;

  beforeAll(async () => {
    [postgres, redis] = await Promise.all([startOwnPostgres(), startOwnRedis()]);
    system = await createFaultSystem({
      DATABASE_URL: postgres.url,
      TRANSPORT_URL: redis.url,
      // A small budget makes the long job spill, so it is still running when the database goes.
      MEMORY_BUDGET: '1MiB',
    });
    await system.startApi();
    await Promise.all([system.startWorker(), system.startWorker()]);
  });

  afterAll(async () => {
    await system?.close();
    await Promise.all([postgres?.destroy(), redis?.destroy()]);
  });

  it('keeps every process alive and loses no accepted message or job', async () => {
    const url = () => system.url();
    const ledger = new MessageLedger(url);
    const posting = ledger.run(40);
    // The repro: reads of GET /v1/messages?limit=100 in flight when the server goes.
    let reading = true;
    const readers = Array.from({ length: 4 }, async () => {
      while (reading) await fetch(`${url()}/v1/messages?limit=100`).catch(() => undefined);
    });
    const jobs: Promise<SubmittedJob>[] = [];
    for (let n = 0; n < 3; n += 1) jobs.push(submitJob(url, CANONICAL_INPUT));
    await sleep(3000);
    await postgres.restart();
    for (let n = 0; n < 3; n += 1) jobs.push(submitJob(url, CANONICAL_INPUT));
    await sleep(2000);
    // Then away for a while: a job runs meanwhile, so a worker meets the outage mid-task.
    const wide = submitJob(url, WIDE_CSV);
    jobs.push(wide);
    const wideId = (await wide).id;
    for (let n = 0; n < 200; n += 1) {
      // Only a wait for the job to start: a slow answer on a loaded machine is no finding here.
      const job = await fetch(`${url()}/v1/jobs/${wideId}`)
        .then((r) => r.json() as Promise<{ status: string }>)
        .catch(() => ({ status: 'unknown' }));
      if (job.status === 'processing') break;
      await sleep(25);
    }
    await postgres.stop();
    await sleep(1500);
    const readyz = await fetch(`${url()}/readyz`);
    const readiness = await readyz.text();
    await sleep(1500);
    await postgres.start();
    await sleep(2000);
    ledger.stop();
    reading = false;
    await Promise.all([posting, ...readers]);
    const figures = await ledger.settle(60_000);
    const submitted = await Promise.all(jobs);
    const finished = await Promise.all(
      submitted.map((job) => waitForJob(url()!, job.id ?? 'none', 60_000)),
    );
    const results = await Promise.all(
      submitted.slice(0, -1).map((job) => resultOf(url()!, job.id ?? 'none')),
    );
    const paused = system.workers.flatMap((worker) =>
      logLines(worker, /database unavailable: pausing/),
    ).length;
    printFigures('postgres restart', figures, {
      jobsSubmitted: submitted.length,
      jobsSucceeded: finished.filter((job) => job.status === 'succeeded').length,
      jobsRunTwice: finished.filter((job) => job.attempts > 1).length,
      answers: Object.fromEntries(ledger.statuses),
      workerPauses: paused,
      readyzDuringOutage: readyz.status,
      processesAlive: system.alive(),
    });
    expect(readyz.status).toBe(503);
    const database = (
      JSON.parse(readiness) as { error: { details: { checks: { database: unknown } } } }
    ).error.details.checks.database;
    // Refused, or still connecting when the check's 3 s ran out: either way, the database.
    expect([
      { ok: false, error: 'unavailable' },
      { ok: false, error: 'did not answer in time' },
    ]).toContainEqual(database);
    expect(readiness).not.toContain('127.0.0.1');
    expect(system.alive(), dump(system.api?.logs ?? [])).toBe(true);
    expect(figures.accepted).toBeGreaterThan(0);
    expect(figures.lost).toBe(0);
    expect(figures.duplicated).toBe(0);
    expect(submitted.every((job) => job.id !== undefined)).toBe(true);
    expect(finished.map((job) => job.status)).toEqual(submitted.map(() => 'succeeded'));
    expect(results).toEqual(submitted.slice(0, -1).map(() => CANONICAL_OUTPUT));
    const ready = await fetch(`${url()}/readyz`);
    expect(ready.status).toBe(200);
  }, 180_000);
});
