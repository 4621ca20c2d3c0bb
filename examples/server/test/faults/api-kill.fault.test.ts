import { createSqlStores } from '@playtally/store-sql';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CANONICAL_INPUT, CANONICAL_OUTPUT } from '../canonical.js';
import { type OwnRedis, startOwnRedis } from '../services/own-redis.js';
import { resultOf, submitJob, waitForJob } from './job-ledger.js';
import { MessageLedger, printFigures } from './message-ledger.js';
import { createFaultSystem, type FaultSystem } from './system.js';

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

describe('the API SIGKILLed', () => {
  let redis: OwnRedis;
  let system: FaultSystem;

  beforeAll(async () => {
    redis = await startOwnRedis();
    system = await createFaultSystem({ TRANSPORT_URL: redis.url });
    await system.startApi();
    await system.startWorker();
  });

  afterAll(async () => {
    redis?.resume();
    await system?.close();
    await redis?.destroy();
  });

  it('while messages are posted: everything accepted is consumed after a restart', async () => {
    const url = () => system.url();
    const ledger = new MessageLedger(url);
    const posting = ledger.run(50);
    await sleep(2500);
    await system.api?.stop('SIGKILL');
    system.api = undefined;
    await sleep(500);
    await system.startApi();
    await sleep(2000);
    ledger.stop();
    await posting;
    const figures = await ledger.settle(60_000);
    printFigures('api SIGKILL while posting', figures, {
      answers: Object.fromEntries(ledger.statuses),
    });
    expect(figures.accepted).toBeGreaterThan(100);
    expect(figures.lost).toBe(0);
    expect(figures.duplicated).toBe(0);
  }, 180_000);

  it("while a job's publish is pending: the job is processed after a restart", async () => {
    const url = () => system.url();
    redis.pause(); // every publish now hangs, as on a broker that stopped answering
    const submitted = await submitJob(url, CANONICAL_INPUT);
    expect(submitted.id).toBeDefined();
    // Wait until the relay has claimed the job's events and waits on the broker for them.
    const stores = await createSqlStores({ url: system.env.DATABASE_URL! });
    let claimed = 0;
    for (let n = 0; n < 100 && claimed === 0; n += 1) {
      const rows = await stores.db.selectFrom('outbox').select(['event', 'attempts']).execute();
      claimed = rows.filter((row) => row.attempts > 0 && row.event.includes(submitted.id!)).length;
      if (claimed === 0) await sleep(50);
    }
    await stores.close();
    await system.api?.stop('SIGKILL');
    system.api = undefined;
    redis.resume();
    await system.startApi();
    const job = await waitForJob(url()!, submitted.id!, 60_000);
    const result = await resultOf(url()!, submitted.id!);
    printFigures(
      'api SIGKILL with a job publish pending',
      {
        sent: 1,
        accepted: 1,
        stored: 1,
        consumed: job.status === 'succeeded' ? 1 : 0,
        lost: job.status === 'succeeded' ? 0 : 1,
        duplicated: Math.max(0, job.attempts - 1),
      },
      { status: job.status, attempts: job.attempts, eventsInFlightAtKill: claimed },
    );
    expect(claimed).toBeGreaterThan(0);
    expect(job).toMatchObject({ status: 'succeeded', attempts: 1 });
    expect(result).toBe(CANONICAL_OUTPUT);
  }, 180_000);
});
