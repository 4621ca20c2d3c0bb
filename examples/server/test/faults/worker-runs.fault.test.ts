import { readdir } from 'node:fs/promises';
import { join } from 'node:path';
import { topicNames } from '@playtally/service';
import { createCloudEvent, createTransport } from '@playtally/transport';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type OwnRedis, startOwnRedis } from '../services/own-redis.js';
import { submitJob, waitForJob } from './job-ledger.js';
import { printFigures } from './message-ledger.js';
import { createFaultSystem, type FaultSystem, logLines } from './system.js';

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** Many distinct songs: with a 1 MiB budget the engine spills sorted runs to disk. */
const ROWS = 400_000;
const WIDE_CSV = `Song,Date,Number of Plays\n${Array.from(
  { length: ROWS },
  (_, n) => `song number ${n},2020-01-0${(n % 9) + 1},${n % 7}`,
).join('\n')}\n`;

/** Folders under TEMP_DIR, and the spill runs inside each. */
async function spillState(tempDir: string): Promise<Record<string, number>> {
  const state: Record<string, number> = {};
  for (const folder of await readdir(tempDir).catch(() => [] as string[])) {
    const runs = await readdir(join(tempDir, folder), { recursive: true }).catch(() => []);
    state[folder] = runs.length;
  }
  return state;
}

describe('workers that die or meet a redelivery', () => {
  let redis: OwnRedis;
  let system: FaultSystem;

  beforeAll(async () => {
    redis = await startOwnRedis();
    system = await createFaultSystem({
      TRANSPORT_URL: redis.url,
      MEMORY_BUDGET: '1MiB',
      WORKER_CONCURRENCY: '1',
    });
    await system.startApi();
  });

  afterAll(async () => {
    await system?.close();
    await redis?.destroy();
  });

  it('a worker SIGKILLed while spilling leaves no spill folder once a worker restarts', async () => {
    const tempDir = system.env.TEMP_DIR!;
    const first = await system.startWorker();
    const job = await submitJob(() => system.url(), WIDE_CSV);
    let spilling: Record<string, number> = {};
    for (let n = 0; n < 600; n += 1) {
      spilling = await spillState(tempDir);
      if (Object.values(spilling).some((runs) => runs > 1)) break;
      await sleep(20);
    }
    await first.stop('SIGKILL');
    const atKill = await spillState(tempDir);
    const second = await system.startWorker();
    const done = await waitForJob(system.url()!, job.id!, 120_000);
    await sleep(200);
    const afterRestart = await spillState(tempDir);
    await second.stop('SIGTERM');
    const afterStop = await spillState(tempDir);
    printFigures(
      'worker SIGKILL while spilling',
      {
        sent: 1,
        accepted: 1,
        stored: 1,
        consumed: done.status === 'succeeded' ? 1 : 0,
        lost: done.status === 'succeeded' ? 0 : 1,
        duplicated: 0,
      },
      {
        spillAtKill: atKill,
        spillAfterRestart: afterRestart,
        spillAfterStop: afterStop,
        attempts: done.attempts,
      },
    );
    expect(Object.values(atKill).some((runs) => runs > 1)).toBe(true);
    expect(done.status).toBe('succeeded');
    // The dead worker's folder is gone; the new one's holds no run once the job is done.
    expect(Object.keys(afterRestart)).toHaveLength(1);
    expect(Object.keys(afterRestart)).not.toEqual(Object.keys(atKill));
    expect(Object.values(afterRestart)).toEqual([0]);
    expect(afterStop).toEqual({});
  }, 240_000);

  it('a job redelivered while its first run is alive runs once', async () => {
    const [a, b] = await Promise.all([system.startWorker(), system.startWorker()]);
    const job = await submitJob(() => system.url(), WIDE_CSV);
    let status = '';
    for (let n = 0; n < 300 && status !== 'processing'; n += 1) {
      status = (
        (await (await fetch(`${system.url()}/v1/jobs/${job.id}`)).json()) as { status: string }
      ).status;
      await sleep(20);
    }
    // What a broker does after a reconnect: the same request once more, while the run goes on.
    const transport = await createTransport(redis.url, { importModule: (name) => import(name) });
    await transport.publish(
      topicNames(system.env.TOPIC_PREFIX).jobs,
      createCloudEvent({
        type: 'job.requested',
        source: '/fault-test',
        subject: job.id!,
        data: { jobId: job.id!, inputKey: 'unused' },
      }),
      { key: job.id! },
    );
    await transport.close();
    const done = await waitForJob(system.url()!, job.id!, 120_000);
    await sleep(1000);
    const started = [a, b].flatMap((worker) =>
      logLines(worker, 'job started').filter((entry) => entry.jobId === job.id),
    );
    const waited = [a, b].flatMap((worker) =>
      logLines(worker, /runs elsewhere under a live lease/).filter(
        (entry) => entry.jobId === job.id,
      ),
    );
    printFigures(
      'job redelivered while running',
      {
        sent: 2,
        accepted: 2,
        stored: 1,
        consumed: 1,
        lost: done.status === 'succeeded' ? 0 : 1,
        duplicated: started.length - 1,
      },
      {
        status: done.status,
        attempts: done.attempts,
        runsStarted: started.length,
        deliveriesThatWaited: waited.length,
      },
    );
    expect(status).toBe('processing');
    expect(done).toMatchObject({ status: 'succeeded', attempts: 1 });
    expect(started).toHaveLength(1);
  }, 240_000);
});
