import { mkdtemp, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { CANONICAL_INPUT, CANONICAL_OUTPUT, PlaytallyError } from '@playtally/core';
import {
  type CloudEvent,
  createCloudEvent,
  createMemoryTransport,
  type MemoryTransport,
} from '@playtally/transport';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { Job } from '../domain/job.js';
import { ensureTopics, TOPICS } from '../events/topics.js';
import { createOutboxRelay, type OutboxRelay } from '../outbox/outbox-relay.js';
import { createReconciler } from '../outbox/reconciler.js';
import type { BlobStore } from '../ports/blob-store.js';
import type { JobStore } from '../ports/job-store.js';
import { createFsBlobStore } from '../stores/fs-blob-store.js';
import { createMemoryJobStore } from '../stores/memory-job-store.js';
import { createMemoryMessageStore } from '../stores/memory-message-store.js';
import { createDatabaseGate } from '../worker/database-gate.js';
import { createJobService, type JobService } from './job-service.js';
import { createJobWorker, type JobWorker, type JobWorkerOptions } from './job-worker.js';

/** About 2.3 MB of valid rows: long enough to cancel or interrupt while it runs slowly. */
const LARGE = `Song,Date,Number of Plays\n${'Umbrella,2020-01-01,1\n'.repeat(110_000)}`;

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
const bytes = (text: string) => [new TextEncoder().encode(text)];

/** Reads blobs 64 KiB every `delayMs` (whatever the store's read size), so a run takes a while. */
function slowReads(blobs: BlobStore, delayMs: number): BlobStore {
  const piece = 64 * 1024;
  return {
    ...blobs,
    async read(key) {
      const stream = await blobs.read(key);
      return Readable.from(
        (async function* () {
          for await (const chunk of stream as AsyncIterable<Buffer>) {
            for (let at = 0; at < chunk.byteLength; at += piece) {
              await sleep(delayMs);
              yield chunk.subarray(at, at + piece);
            }
          }
        })(),
      );
    },
  };
}

/** Fails the first `failures` reads of a blob, as a flaky disk or network share would. */
function flakyReads(blobs: BlobStore, failures: number): BlobStore {
  let left = failures;
  return {
    ...blobs,
    async read(key) {
      if (left-- > 0) throw new Error('EIO: disk went away');
      return blobs.read(key);
    },
  };
}

let directory: string;
let transport: MemoryTransport;
let jobs: JobStore;
let blobs: BlobStore;
let service: JobService;
let relay: OutboxRelay;
let workers: JobWorker[];
let events: CloudEvent[];

beforeEach(async () => {
  directory = await mkdtemp(join(tmpdir(), 'playtally-worker-'));
  transport = createMemoryTransport({ closeTimeoutMs: 500 });
  jobs = createMemoryJobStore();
  blobs = createFsBlobStore({ directory: join(directory, 'blobs') });
  relay = startRelay();
  service = createJobService({ jobs, blobs, relay });
  workers = [];
  events = [];
  await transport.subscribe(TOPICS.events, async (event) => {
    events.push(event);
  });
});

function startRelay(): OutboxRelay {
  const started = createOutboxRelay({ outbox: jobs.outbox, transport, pollIntervalMs: 20 });
  started.start();
  return started;
}

afterEach(async () => {
  for (const worker of workers) await worker.close();
  await relay.close();
  await transport.close();
  await rm(directory, { recursive: true, force: true });
});

async function startWorker(options: Partial<JobWorkerOptions> = {}): Promise<JobWorker> {
  const worker = createJobWorker({
    jobs,
    blobs,
    transport,
    tempDir: directory,
    progressIntervalMs: 20,
    ...options,
  });
  workers.push(worker);
  await worker.start();
  return worker;
}

async function waitFor(id: string, statuses: Job['status'][], timeoutMs = 15_000): Promise<Job> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const job = await jobs.get(id);
    if (job && statuses.includes(job.status)) return job;
    if (Date.now() > deadline) throw new Error(`job ${id} is ${job?.status}, not ${statuses}`);
    await sleep(10);
  }
}

async function resultText(job: Job): Promise<string> {
  const { stream } = await service.openResult(job.id);
  const chunks: Buffer[] = [];
  for await (const chunk of stream) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks).toString('utf8');
}

const typesOf = (id: string) => events.filter((e) => e.subject === id).map((e) => e.type);

describe('the job worker', () => {
  it('aggregates a job into its result and reports it as it goes', async () => {
    await startWorker();
    const job = await service.submit({ source: bytes(CANONICAL_INPUT), filename: 'plays.csv' });
    const done = await waitFor(job.id, ['succeeded', 'failed']);
    expect(done).toMatchObject({ status: 'succeeded', attempts: 1, error: null });
    expect(done.statistics).toMatchObject({ rowsRead: 7, groupsWritten: 4 });
    expect(done.progress).toEqual({
      bytesRead: CANONICAL_INPUT.length,
      totalBytes: CANONICAL_INPUT.length,
      rowsRead: 7,
    });
    expect(await resultText(done)).toBe(CANONICAL_OUTPUT);
    await sleep(50);
    const types = typesOf(job.id);
    expect(types.slice(0, 2)).toEqual(['job.queued', 'job.started']);
    expect(types.at(-1)).toBe('job.completed');
    expect(new Set(types.slice(2, -1))).toEqual(new Set(types.length > 3 ? ['job.progress'] : []));
  });

  it("wakes its relay when a job is queued: the job starts without waiting for the relay's poll", async () => {
    await relay.close();
    // A relay that would not poll again within the test: only the wake-up can publish.
    relay = createOutboxRelay({ outbox: jobs.outbox, transport, pollIntervalMs: 600_000 });
    relay.start();
    await sleep(50); // past its first poll
    const woken = createJobService({ jobs, blobs, relay });
    await startWorker();
    const job = await woken.submit({ source: bytes(CANONICAL_INPUT), filename: 'plays.csv' });
    const done = await waitFor(job.id, ['succeeded', 'failed'], 5000);
    expect(done.status).toBe('succeeded');
  });

  it('ignores a redelivery of a job that already succeeded', async () => {
    await startWorker();
    const job = await service.submit({ source: bytes(CANONICAL_INPUT) });
    const done = await waitFor(job.id, ['succeeded']);
    await transport.publish(
      TOPICS.jobs,
      createCloudEvent({
        type: 'job.requested',
        source: '/test',
        data: { jobId: job.id, inputKey: done.inputKey },
      }),
    );
    await sleep(200);
    expect(await jobs.get(job.id)).toEqual(done);
    expect(typesOf(job.id).filter((type) => type === 'job.started')).toHaveLength(1);
  });

  it('publishes progress at least every interval while a long job runs', async () => {
    await startWorker({ blobs: slowReads(blobs, 15) });
    const job = await service.submit({ source: bytes(LARGE) });
    const done = await waitFor(job.id, ['succeeded']);
    const progress = events.filter((e) => e.subject === job.id && e.type === 'job.progress');
    expect(progress.length).toBeGreaterThan(3);
    const read = progress.map((e) => (e.data as { job: Job }).job.progress.bytesRead);
    expect(read).toEqual([...read].sort((a, b) => a - b));
    expect(done.statistics?.rowsRead).toBe(110_000);
  });

  it('fails a job with bad input once, with the engine message, without retrying', async () => {
    await startWorker();
    const job = await service.submit({
      source: bytes('Song,Date,Number of Plays\nA,2020-01-01,x\n'),
    });
    const failed = await waitFor(job.id, ['failed']);
    expect(failed.error).toEqual({
      code: 'INVALID_ROW',
      message: expect.stringMatching(/^line 2: /),
    });
    await sleep(300);
    expect((await jobs.get(job.id))?.attempts).toBe(1);
    expect(typesOf(job.id).filter((type) => type !== 'job.progress')).toEqual([
      'job.queued',
      'job.started',
      'job.failed',
    ]);
  });

  it('retries a job after an infrastructure error, and succeeds', async () => {
    await startWorker({ blobs: flakyReads(blobs, 1) });
    const job = await service.submit({ source: bytes(CANONICAL_INPUT) });
    const done = await waitFor(job.id, ['succeeded', 'failed']);
    expect(done).toMatchObject({ status: 'succeeded', attempts: 2 });
    expect(await resultText(done)).toBe(CANONICAL_OUTPUT);
  });

  it('counts its runs and their failures: a success, bad input, a retried failure', async () => {
    const worker = await startWorker({ blobs: flakyReads(blobs, 1) });
    expect(worker.stats()).toEqual({ processed: 0, failed: 0 });
    const retried = await service.submit({ source: bytes(CANONICAL_INPUT) });
    await waitFor(retried.id, ['succeeded']);
    // The first run failed on the flaky read and was retried; the second succeeded.
    await expect.poll(() => worker.stats()).toEqual({ processed: 2, failed: 1 });
    const bad = await service.submit({ source: bytes('Song,Date,Number of Plays\nA,x,1\n') });
    await waitFor(bad.id, ['failed']);
    await expect.poll(() => worker.stats()).toEqual({ processed: 3, failed: 2 });
    expect(worker.running()).toEqual([]);
  });

  it('fails a job whose infrastructure errors outlast maxAttempts', async () => {
    await startWorker({ blobs: flakyReads(blobs, 100), maxAttempts: 2 });
    const job = await service.submit({ source: bytes(CANONICAL_INPUT) });
    const failed = await waitFor(job.id, ['failed']);
    expect(failed.error?.code).toBe('INTERNAL');
    expect(failed.error?.message).toContain('gave up after 2 attempts: EIO');
  });

  it('stops a processing job when it is cancelled, and keeps no result', async () => {
    await startWorker({ blobs: slowReads(blobs, 20) });
    const job = await service.submit({ source: bytes(LARGE) });
    await waitFor(job.id, ['processing']);
    await sleep(100);
    const cancelled = await service.cancel(job.id);
    expect(cancelled.status).toBe('cancelled');
    const deadline = Date.now() + 5000;
    while (workers[0]?.running().length && Date.now() < deadline) await sleep(10);
    expect(workers[0]?.running()).toEqual([]);
    expect(await jobs.get(job.id)).toMatchObject({ status: 'cancelled', resultKey: null });
    expect(await readdir(join(directory, 'blobs', 'results')).catch(() => [])).toEqual([]);
    await expect(service.openResult(job.id)).rejects.toMatchObject({
      code: 'CONFLICT',
      details: { status: 'cancelled' },
    });
  });

  it('skips a job that was cancelled while it was queued', async () => {
    const job = await service.submit({ source: bytes(CANONICAL_INPUT) });
    await service.cancel(job.id);
    await startWorker();
    await sleep(200);
    expect(await jobs.get(job.id)).toMatchObject({ status: 'cancelled', attempts: 0 });
  });

  it('hands an unfinished job back on close, and another worker finishes it', async () => {
    const first = await startWorker({ blobs: slowReads(blobs, 20), closeTimeoutMs: 100 });
    const job = await service.submit({ source: bytes(LARGE) });
    await waitFor(job.id, ['processing']);
    await first.close();
    expect(await jobs.get(job.id)).toMatchObject({ status: 'queued', attempts: 1 });
    await startWorker();
    const done = await waitFor(job.id, ['succeeded', 'failed']);
    expect(done).toMatchObject({ status: 'succeeded', attempts: 2 });
    expect(done.statistics?.rowsRead).toBe(110_000);
  });

  it('lets a job finish within the close timeout instead of aborting it', async () => {
    const worker = await startWorker({ blobs: slowReads(blobs, 5), closeTimeoutMs: 10_000 });
    const job = await service.submit({ source: bytes(LARGE) });
    await waitFor(job.id, ['processing']);
    await worker.close();
    expect(await jobs.get(job.id)).toMatchObject({ status: 'succeeded', attempts: 1 });
  });

  it('dead-letters a job.requested that names no job at once, without retrying it', async () => {
    await startWorker({ maxAttempts: 5 });
    const dead: CloudEvent[] = [];
    await transport.subscribe(`${TOPICS.jobs}.dead-letter`, async (event) => {
      dead.push(event);
    });
    await transport.publish(
      TOPICS.jobs,
      createCloudEvent({ type: 'job.requested', source: '/test', data: { nothing: true } }),
    );
    const deadline = Date.now() + 5000;
    while (dead.length === 0 && Date.now() < deadline) await sleep(10);
    expect(dead[0]?.extensions?.deadletterreason).toContain('needs a non-empty jobId');
    expect(dead[0]?.extensions?.deadletterattempts).toBe('1');
  });
});

describe('the reconciler', () => {
  it('requests again the jobs a previous process left queued or processing', async () => {
    const queued = await service.submit({ source: bytes(CANONICAL_INPUT) });
    const stuck = await service.submit({ source: bytes(CANONICAL_INPUT) });
    await jobs.transition(stuck.id, ['queued'], { status: 'processing', attempts: 1 });
    await jobs.acquireLease(stuck.id, 'a worker that died', 60_000);
    const cancelled = await service.submit({ source: bytes(CANONICAL_INPUT) });
    await service.cancel(cancelled.id);
    await relay.drain();
    // A fresh transport: what the memory transport held died with the previous process.
    await relay.close();
    await transport.close();
    transport = createMemoryTransport({ closeTimeoutMs: 500 });
    relay = startRelay();
    await startWorker();
    const reconciler = createReconciler({ jobs, messages: createMemoryMessageStore() });
    expect(await reconciler.runOnce({ olderThanMs: 0, ignoreLeases: true })).toEqual({
      jobs: 2,
      messages: 0,
    });
    relay.notify();
    expect(await waitFor(queued.id, ['succeeded'])).toMatchObject({ attempts: 1 });
    expect(await waitFor(stuck.id, ['succeeded'])).toMatchObject({ attempts: 2 });
    expect(await jobs.get(cancelled.id)).toMatchObject({ status: 'cancelled', attempts: 0 });
  });

  it('leaves a processing job alone while its lease is live', async () => {
    const job = await service.submit({ source: bytes(CANONICAL_INPUT) });
    await jobs.acquireLease(job.id, 'a live worker', 60_000);
    await jobs.transition(job.id, ['queued'], { status: 'processing', attempts: 1 });
    const reconciler = createReconciler({ jobs, messages: createMemoryMessageStore() });
    expect(await reconciler.runOnce({ olderThanMs: 0 })).toEqual({ jobs: 0, messages: 0 });
  });
});

describe('a database outage', () => {
  it('pauses the worker instead of failing or redelivering the job, and it finishes after', async () => {
    let down = false;
    const away = () =>
      new PlaytallyError('STORE_UNAVAILABLE', 'connection lost', {
        details: { component: 'database' },
      });
    const flaky: JobStore = {
      ...jobs,
      get: (id) => (down ? Promise.reject(away()) : jobs.get(id)),
      transition: (...args) => (down ? Promise.reject(away()) : jobs.transition(...args)),
    };
    const gate = createDatabaseGate({
      probeIntervalMs: 20,
      probe: async () => {
        if (down) throw away();
      },
    });
    await startWorker({ jobs: flaky, gate, blobs: slowReads(blobs, 10), maxAttempts: 2 });
    const job = await service.submit({ source: bytes(LARGE) });
    await waitFor(job.id, ['processing']);
    down = true;
    // The run ends and its result cannot be recorded: the worker waits for the database.
    for (let n = 0; n < 1000 && gate.available; n += 1) await sleep(10);
    expect(gate.available).toBe(false);
    await sleep(200);
    expect(await jobs.get(job.id)).toMatchObject({ status: 'processing' });
    down = false;
    const done = await waitFor(job.id, ['succeeded', 'failed'], 30_000);
    expect(done).toMatchObject({ status: 'succeeded', attempts: 1 });
  });
});

describe('job leases', () => {
  it('runs a job redelivered while its first run is alive only once', async () => {
    await startWorker({ blobs: slowReads(blobs, 10), leaseTtlMs: 600 });
    await startWorker({ leaseTtlMs: 600 });
    const job = await service.submit({ source: bytes(LARGE) });
    await waitFor(job.id, ['processing']);
    // What a broker does after a reconnect: the same request again, to another worker.
    await transport.publish(
      TOPICS.jobs,
      createCloudEvent({
        type: 'job.requested',
        source: '/test',
        subject: job.id,
        data: { jobId: job.id, inputKey: job.inputKey },
      }),
    );
    const done = await waitFor(job.id, ['succeeded', 'failed'], 30_000);
    expect(done).toMatchObject({ status: 'succeeded', attempts: 1 });
    expect(typesOf(job.id).filter((type) => type === 'job.started')).toHaveLength(1);
  });

  it('refuses the result of a run whose lease another worker took over', async () => {
    const job = await service.submit({ source: bytes(CANONICAL_INPUT) });
    const first = await jobs.acquireLease(job.id, 'paused worker', 1);
    await sleep(5);
    const second = await jobs.acquireLease(job.id, 'new worker', 60_000);
    expect(second?.token).toBeGreaterThan(first?.token ?? Number.POSITIVE_INFINITY);
    const late = await jobs.transition(
      job.id,
      ['queued'],
      { status: 'succeeded' },
      { lease: first },
    );
    expect(late).toBeUndefined();
    expect(await jobs.get(job.id)).toMatchObject({ status: 'queued' });
  });

  it('takes over a job whose worker died once its lease expires', async () => {
    await ensureTopics(transport);
    const job = await service.submit({ source: bytes(CANONICAL_INPUT) });
    await jobs.acquireLease(job.id, 'a worker that died', 300);
    await startWorker({ leaseTtlMs: 300 });
    expect(await waitFor(job.id, ['succeeded'])).toMatchObject({ attempts: 1 });
  });
});

describe('the job service', () => {
  it('refuses an upload past the limit and keeps nothing', async () => {
    const small = createJobService({ jobs, blobs, relay, maxUploadBytes: 10 });
    await expect(small.submit({ source: bytes(CANONICAL_INPUT) })).rejects.toMatchObject({
      code: 'PAYLOAD_TOO_LARGE',
      message: 'the upload is larger than 10 bytes',
      details: { maxBytes: 10 },
    });
    await expect(small.submit({ source: bytes('a'), declaredBytes: 11 })).rejects.toMatchObject({
      code: 'PAYLOAD_TOO_LARGE',
    });
    expect((await jobs.list()).items).toEqual([]);
    expect(await readdir(join(directory, 'blobs', 'uploads')).catch(() => [])).toEqual([]);
  });
});
