import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CANONICAL_INPUT, CANONICAL_OUTPUT } from '../canonical.js';
import { type OwnRabbitMq, startOwnRabbitMq } from '../services/own-rabbitmq.js';
import { resultOf, type SubmittedJob, submitJob, waitForJob } from './job-ledger.js';
import { MessageLedger, printFigures } from './message-ledger.js';
import { createFaultSystem, type FaultSystem } from './system.js';

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
const OUTAGE_MS = 60_000;

describe('RabbitMQ stopped for 60 s while messages are posted at a steady rate', () => {
  let rabbit: OwnRabbitMq;
  let system: FaultSystem;

  beforeAll(async () => {
    rabbit = await startOwnRabbitMq();
    system = await createFaultSystem({ TRANSPORT_URL: rabbit.url });
    await system.startApi();
    await system.startWorker();
  });

  afterAll(async () => {
    await system?.close();
    await rabbit?.destroy();
  });

  it('keeps answering 202 through the outage and consumes everything once it is back', async () => {
    const url = () => system.url();
    const ledger = new MessageLedger(url);
    const posting = ledger.run(20);
    const jobs: Promise<SubmittedJob>[] = [submitJob(url, CANONICAL_INPUT)];
    await sleep(2000);
    await rabbit.stop();
    const stoppedAt = Date.now();
    ledger.window = true;
    const before = new Map(ledger.statuses);
    jobs.push(submitJob(url, CANONICAL_INPUT));
    await sleep(OUTAGE_MS / 2);
    jobs.push(submitJob(url, CANONICAL_INPUT));
    await sleep(Math.max(0, OUTAGE_MS - (Date.now() - stoppedAt)));
    ledger.window = false;
    const during = Object.fromEntries(
      [...ledger.statuses].map(([status, n]) => [status, n - (before.get(status) ?? 0)]),
    );
    await rabbit.start();
    await sleep(2000);
    ledger.stop();
    await posting;
    const figures = await ledger.settle(90_000);
    const submitted = await Promise.all(jobs);
    const finished = await Promise.all(
      submitted.map((job) => waitForJob(url()!, job.id ?? 'none', 60_000)),
    );
    const results = await Promise.all(submitted.map((job) => resultOf(url()!, job.id ?? 'none')));
    printFigures('rabbitmq 60 s outage', figures, {
      acceptedDuringOutage: ledger.acceptedDuring,
      answersDuringOutage: during,
      jobsSubmitted: submitted.length,
      jobsSucceeded: finished.filter((job) => job.status === 'succeeded').length,
      processesAlive: system.alive(),
    });
    const failures = (system.api?.logs ?? []).filter((entry) => entry.msg === 'request failed');
    if (failures.length > 0) console.log(JSON.stringify(failures.slice(0, 3)));
    expect(system.alive()).toBe(true);
    // A steady 20/s for 60 s: the outage is invisible to clients.
    expect(ledger.acceptedDuring).toBeGreaterThan((OUTAGE_MS / 1000) * 20 * 0.8);
    expect(Object.keys(during)).toEqual(['202']);
    expect(figures.lost).toBe(0);
    expect(figures.duplicated).toBe(0);
    expect(finished.map((job) => job.status)).toEqual(submitted.map(() => 'succeeded'));
    expect(results).toEqual(submitted.map(() => CANONICAL_OUTPUT));
  }, 240_000);
});
