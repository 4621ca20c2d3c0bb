import { mkdtemp, readdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable, Writable } from 'node:stream';
import { type AggregateOptions, aggregateCsv } from '@playtally/core';
import {
  type CloudEvent,
  createCloudEvent,
  createMemoryTransport,
  type MemoryTransport,
} from '@playtally/transport';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { Job } from '../domain/job.js';
import { TOPICS } from '../events/topics.js';
import { createOutboxRelay, type OutboxRelay } from '../outbox/outbox-relay.js';
import { createReconciler } from '../outbox/reconciler.js';
import type { BlobStore } from '../ports/blob-store.js';
import type { JobStore } from '../ports/job-store.js';
import { createFsBlobStore } from '../stores/fs-blob-store.js';
import { createMemoryJobStore } from '../stores/memory-job-store.js';
import { createMemoryMessageStore } from '../stores/memory-message-store.js';
import { createJobService, type JobService } from './job-service.js';
import { createJobWorker, type JobWorker, type JobWorkerOptions } from './job-worker.js';
import { partialsPrefix } from './partials.js';

/*
 * Split jobs end to end in one process: uploads larger than a tiny split size become parts
 * that several workers aggregate, and the merge must give exactly what one run gives.
 */

const SPLIT_BYTES = 4096;
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/**
 * Rows with quoted line breaks, `""` escapes and CRLF line ends all through it, so split
 * points land inside and next to every kind of record; `bad` lines (1-based row numbers) get
 * an invalid play count.
 */
function tricky(rows: number, bad: readonly number[] = []): string {
  const lines = ['\uFEFFNumber of Plays,"Song",Date\r\n'];
  for (let row = 1; row <= rows; row++) {
    const song =
      row % 7 === 0
        ? `"Line\nbreak ""${row % 13}"""`
        : row % 5 === 0
          ? `"Comma, ${row % 11}"`
          : `Song ${row % 17}`;
    const plays = bad.includes(row) ? 'many' : String(row % 9);
    const end = row % 3 === 0 ? '\r\n' : '\n';
    lines.push(`${plays},${song},2020-0${1 + (row % 3)}-1${row % 10}${end}`);
  }
  return lines.join('');
}

/** What one run of the engine over the whole input gives: the output, or the error. */
async function reference(text: string, options: AggregateOptions = {}) {
  const chunks: Buffer[] = [];
  const sink = new Writable({
    write(chunk: Buffer, _encoding, done) {
      chunks.push(chunk);
      done();
    },
  });
  const statistics = await aggregateCsv([Buffer.from(text)], sink, options);
  return { text: Buffer.concat(chunks).toString('utf8'), statistics };
}

/** Reads ranges of blobs 1 KiB every `delayMs`, so parts take a while. */
function slowReads(blobs: BlobStore, delayMs: number): BlobStore {
  return {
    ...blobs,
    async read(key, range) {
      const stream = await blobs.read(key, range);
      return Readable.from(
        (async function* () {
          for await (const chunk of stream as AsyncIterable<Buffer>) {
            for (let at = 0; at < chunk.byteLength; at += 1024) {
              await sleep(delayMs);
              yield chunk.subarray(at, at + 1024);
            }
          }
        })(),
      );
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
  directory = await mkdtemp(join(tmpdir(), 'playtally-split-'));
  transport = createMemoryTransport({ closeTimeoutMs: 500 });
  jobs = createMemoryJobStore();
  blobs = createFsBlobStore({ directory: join(directory, 'blobs') });
  relay = createOutboxRelay({ outbox: jobs.outbox, transport, pollIntervalMs: 20 });
  relay.start();
  service = createJobService({ jobs, blobs, relay, splitBytes: SPLIT_BYTES });
  workers = [];
  events = [];
  await transport.subscribe(TOPICS.events, async (event) => {
    events.push(event);
  });
});

afterEach(async () => {
  for (const worker of workers) await worker.close();
  await relay.close();
  await transport.close();
  await rm(directory, { recursive: true, force: true });
});

async function startWorkers(count: number, options: Partial<JobWorkerOptions> = {}) {
  for (let i = 0; i < count; i++) {
    const worker = createJobWorker({
      jobs,
      blobs,
      transport,
      tempDir: directory,
      progressIntervalMs: 20,
      concurrency: 2,
      ...options,
    });
    workers.push(worker);
    await worker.start();
  }
}

async function waitFor(id: string, statuses: Job['status'][], timeoutMs = 20_000): Promise<Job> {
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

/** Blobs stored under a prefix (finished ones: no temporary files). */
async function stored(prefix: string): Promise<string[]> {
  const names = await readdir(join(directory, 'blobs', prefix)).catch(() => []);
  return names.filter((name) => !name.startsWith('.tmp-'));
}

/**
 * Every file of every job's partial results (temporary ones included) once they are all gone,
 * or those left after a few seconds.
 */
async function leftOverPartials(): Promise<string[]> {
  const deadline = Date.now() + 5000;
  for (;;) {
    const folders = (await readdir(join(directory, 'blobs')).catch(() => [])).filter((name) =>
      name.startsWith('partials-'),
    );
    const files: string[] = [];
    for (const folder of folders) {
      const names = await readdir(join(directory, 'blobs', folder)).catch(() => []);
      files.push(folder, ...names.map((name) => `${folder}/${name}`));
    }
    if (files.length === 0 || Date.now() > deadline) return files;
    await sleep(20);
  }
}

/** The blobs under a prefix once they are all gone, or those left after a few seconds. */
async function leftOver(prefix: string): Promise<string[]> {
  const deadline = Date.now() + 5000;
  for (;;) {
    const names = await stored(prefix);
    if (names.length === 0 || Date.now() > deadline) return names;
    await sleep(20);
  }
}

const submit = (text: string, onInvalid: 'fail' | 'skip' = 'fail') =>
  service.submit({ source: [Buffer.from(text)], filename: 'plays.csv', onInvalid });

describe('a job larger than the split size', () => {
  it('removes, when it ends, what runs killed while storing or before recording a partial result left', async () => {
    const text = tricky(1500);
    const job = await submit(text);
    // What dead runs leave: a partial result stored but never recorded with its part, and the
    // temporary file of one killed in the middle of storing it.
    const stray = await blobs.put([Buffer.from("a dead run's partial")], {
      prefix: partialsPrefix(job.id),
    });
    await writeFile(
      join(directory, 'blobs', partialsPrefix(job.id), '.tmp-7d5e3f4c-1111-4222-8333-444455556666'),
      'half written',
    );
    await startWorkers(1);
    // The part tasks went out before any worker listened: have them asked for again.
    await createReconciler({
      jobs,
      messages: createMemoryMessageStore(),
      olderThanMs: 0,
    }).runOnce();
    const done = await waitFor(job.id, ['succeeded', 'failed']);
    expect(done.status).toBe('succeeded');
    expect(await leftOverPartials()).toEqual([]);
    expect(await blobs.stat(stray.key)).toBeUndefined();
  });

  it('is split into parts whose merge is byte-identical to one run, partials removed', async () => {
    const text = tricky(3000);
    const expected = await reference(text);
    await startWorkers(2);
    const job = await submit(text);
    const total = job.parts?.total ?? 0;
    expect(total).toBeGreaterThanOrEqual(Math.floor(Buffer.byteLength(text) / SPLIT_BYTES));
    expect(job.parts).toEqual({ total, done: 0, running: 0 });
    const parts = await jobs.listParts(job.id);
    // The parts tile the data exactly, each starting on a record.
    for (const [i, part] of parts.entries()) {
      if (i > 0) expect(part.start).toBe(parts[i - 1]!.end);
    }
    expect(parts.at(-1)?.end).toBe(Buffer.byteLength(text));
    const done = await waitFor(job.id, ['succeeded', 'failed']);
    expect(done.error).toBeNull();
    expect(await resultText(done)).toBe(expected.text);
    expect(done.parts).toEqual({ total, done: total, running: 0 });
    expect(done.statistics).toMatchObject({
      rowsRead: expected.statistics.rowsRead,
      bytesRead: expected.statistics.bytesRead,
      groupsWritten: expected.statistics.groupsWritten,
      rowsRejected: 0,
    });
    expect(done.progress).toEqual({
      bytesRead: Buffer.byteLength(text),
      totalBytes: Buffer.byteLength(text),
      rowsRead: 3000,
    });
    expect(await leftOverPartials()).toEqual([]);
    expect(await leftOver('uploads')).toEqual([]);
    const types = events.filter((e) => e.subject === job.id).map((e) => e.type);
    expect(types[0]).toBe('job.queued');
    expect(types.filter((t) => t === 'job.started')).toHaveLength(1);
    expect(types.at(-1)).toBe('job.completed');
  });

  it('runs a job no larger than the split size in one piece, as before', async () => {
    await startWorkers(1);
    const text = tricky(40);
    expect(Buffer.byteLength(text)).toBeLessThanOrEqual(SPLIT_BYTES);
    const job = await submit(text);
    expect(job.parts).toBeNull();
    const done = await waitFor(job.id, ['succeeded']);
    expect(await resultText(done)).toBe((await reference(text)).text);
    expect(await jobs.listParts(job.id)).toEqual([]);
  });

  it('fails the whole job with the first bad line of the whole input', async () => {
    // Bad rows in the middle and near the end: parts after the first bad one may fail first.
    const text = tricky(3000, [1700, 2990]);
    const expected = await reference(text).catch((error: Error) => error.message);
    expect(expected).toMatch(/^line \d+: /);
    await startWorkers(2);
    const job = await submit(text);
    expect(job.parts?.total).toBeGreaterThan(3);
    const failed = await waitFor(job.id, ['failed', 'succeeded']);
    expect(failed.error).toEqual({ code: 'INVALID_ROW', message: expected });
    expect(await leftOverPartials()).toEqual([]);
    expect(await stored('results')).toEqual([]);
  });

  it('adds up the counts of every part with onInvalid=skip', async () => {
    const bad = [3, 999, 1000, 1701, 2500, 2999];
    const text = tricky(3000, bad);
    const options = { onInvalid: 'skip' as const };
    const expected = await reference(text, options);
    expect(expected.statistics.rowsRejected).toBe(bad.length);
    await startWorkers(2);
    const job = await submit(text, 'skip');
    const done = await waitFor(job.id, ['succeeded', 'failed']);
    expect(await resultText(done)).toBe(expected.text);
    const { durationMs: _a, ...statistics } = done.statistics!;
    const { durationMs: _b, ...one } = expected.statistics;
    expect(statistics).toEqual(one);
  });

  it('stops every part when the job is cancelled, and keeps nothing', async () => {
    await startWorkers(2, { blobs: slowReads(blobs, 20) });
    const job = await submit(tricky(3000));
    const deadline = Date.now() + 10_000;
    while (((await jobs.get(job.id))?.parts?.running ?? 0) < 2 && Date.now() < deadline)
      await sleep(10);
    const running = await jobs.get(job.id);
    expect(running?.parts?.running).toBeGreaterThanOrEqual(2);
    await service.cancel(job.id);
    const stopDeadline = Date.now() + 5000;
    while (workers.some((w) => w.running().length > 0) && Date.now() < stopDeadline)
      await sleep(10);
    expect(workers.map((w) => w.running())).toEqual([[], []]);
    expect((await jobs.get(job.id))?.status).toBe('cancelled');
    expect(await leftOverPartials()).toEqual([]);
    expect(await stored('results')).toEqual([]);
    expect(await leftOver('uploads')).toEqual([]);
  });

  it('counts a part run twice only once, and hands back parts of a closing worker', async () => {
    const text = tricky(3000);
    const expected = await reference(text);
    await startWorkers(1, { blobs: slowReads(blobs, 5), closeTimeoutMs: 50 });
    const job = await submit(text);
    const deadline = Date.now() + 10_000;
    while (((await jobs.get(job.id))?.parts?.done ?? 0) < 1 && Date.now() < deadline)
      await sleep(10);
    // Deliver a finished part again, and close the worker mid-part: its part is redelivered.
    await transport.publish(
      TOPICS.jobs,
      createCloudEvent({
        type: 'job.requested',
        source: '/test',
        subject: `${job.id}/parts/0`,
        data: { jobId: job.id, inputKey: job.inputKey, part: 0 },
      }),
    );
    await workers[0]!.close();
    const halfway = await jobs.get(job.id);
    expect(halfway?.status).toBe('processing');
    expect(halfway?.parts?.done).toBeLessThan(halfway?.parts?.total ?? 0);
    await startWorkers(2);
    const done = await waitFor(job.id, ['succeeded', 'failed']);
    expect(await resultText(done)).toBe(expected.text);
    expect(done.statistics?.rowsRead).toBe(3000);
    expect(done.progress.rowsRead).toBe(3000);
    expect(await leftOverPartials()).toEqual([]);
  });

  it('settles a job whose parts went quiet: the reconciler asks again for what is missing', async () => {
    const text = tricky(3000);
    const job = await submit(text);
    // No worker yet: the part tasks wait. Pretend they were lost, and the job went stale.
    await sleep(100);
    await transport.close();
    transport = createMemoryTransport({ closeTimeoutMs: 500 });
    await relay.close();
    relay = createOutboxRelay({ outbox: jobs.outbox, transport, pollIntervalMs: 20 });
    relay.start();
    await startWorkers(1);
    const reconciler = createReconciler({
      jobs,
      messages: createMemoryMessageStore(),
      olderThanMs: 0,
    });
    await reconciler.runOnce();
    const done = await waitFor(job.id, ['succeeded', 'failed']);
    expect(await resultText(done)).toBe((await reference(text)).text);
  });
});
