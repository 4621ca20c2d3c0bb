import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PassThrough, Readable } from 'node:stream';
import { aggregateCsv } from '@playtally/core';
import {
  type BlobStore,
  createJobService,
  createJobWorker,
  createMemoryJobStore,
  createOutboxRelay,
} from '@playtally/service';
import { createMemoryTransport, type LogFields, type Logger } from '@playtally/transport';
import { requireService } from '@playtally/transport/testing';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { PrivateS3Proxy, s3ProxyJar } from '../test/private-s3proxy.js';
import { listResidue, S3_CREDENTIALS, testS3Client } from '../test/s3.js';
import { createS3BlobStore, type S3BlobStore } from './index.js';

const jar = s3ProxyJar();
const available = await requireService(
  'the S3Proxy jar (bash scripts/s3/start.sh fetches it)',
  async () => {
    if (jar === undefined) throw new Error('not found in ~/.cache/playtally-s3/libs');
  },
);
const MIB = 1024 * 1024;
const BUCKET = 'private';

/** About 8 MB of plays over 500 songs and 28 days. */
const INPUT = Buffer.from(
  `Song,Date,Number of Plays\n${Array.from(
    { length: 300_000 },
    (_, n) => `Song ${n % 500},2020-02-${String((n % 28) + 1).padStart(2, '0')},${n % 7}\n`,
  ).join('')}`,
);

/** A logger that keeps every line, for asserting on what the worker reported. */
function recordingLogger(lines: LogFields[], bindings: LogFields = {}): Logger {
  const log =
    (level: string) =>
    (fields: LogFields | string, message?: string): void => {
      const entry = typeof fields === 'string' ? { msg: fields } : { ...fields, msg: message };
      lines.push({ ...bindings, ...entry, level });
    };
  return {
    debug: log('debug'),
    info: log('info'),
    warn: log('warn'),
    error: log('error'),
    child: (more) => recordingLogger(lines, { ...bindings, ...more }),
  };
}

describe.skipIf(!available)('the S3 server stopped in the middle of the work', () => {
  const server = new PrivateS3Proxy(jar as string);
  let store: S3BlobStore;

  beforeAll(async () => {
    await server.start(BUCKET);
    store = createS3BlobStore({
      bucket: BUCKET,
      prefix: 'fault',
      endpoint: server.endpoint,
      credentials: S3_CREDENTIALS,
      partSize: 5 * MIB,
      queueSize: 1,
      connectionTimeoutMs: 2000,
      socketTimeoutMs: 5000,
    });
  }, 90_000);

  afterAll(async () => {
    await store?.close();
    await server.destroy();
  });

  it('fails a put with a STORE_ERROR naming the server; no object appears, and the stale upload is swept', async () => {
    let release!: () => void;
    const gate = new Promise<void>((resolve) => {
      release = resolve;
    });
    const source = (async function* () {
      for (let n = 0; n < 6; n += 1) yield new Uint8Array(MIB).fill(n);
      await gate; // the first part is on the server; the rest comes after it died
      for (let n = 0; n < 6; n += 1) yield new Uint8Array(MIB).fill(n);
    })();
    const put = store.put(source, { prefix: 'uploads' });
    put.catch(() => {});
    const admin = testS3Client(server.endpoint);
    try {
      await vi.waitFor(
        async () =>
          expect(await listResidue(admin, 'fault', BUCKET)).toContainEqual(
            expect.stringMatching(/^pending upload fault\/uploads\//),
          ),
        { timeout: 20_000, interval: 100 },
      );
      await server.kill();
      release();
      const error = await put.then(
        () => undefined,
        (caught: unknown) => caught as Error,
      );
      expect(error).toMatchObject({ code: 'STORE_ERROR', details: { reason: 'unreachable' } });
      expect(error?.message).toMatch(
        new RegExp(
          `^s3 blob store: writing uploads/[0-9a-f-]{36} failed: the connection to ${server.endpoint} failed`,
        ),
      );

      await server.start(BUCKET);
      // The abort could not reach a dead server: the upload is pending, never an object.
      const residue = await listResidue(admin, 'fault', BUCKET);
      expect(residue.filter((entry) => entry.startsWith('object'))).toEqual([]);
      expect(await store.abortStaleUploads({ olderThanMs: 0 })).toBe(residue.length);
      expect(await listResidue(admin, 'fault', BUCKET)).toEqual([]);
    } finally {
      admin.destroy();
    }
  });

  it('retries a job whose worker lost the server mid-run, and completes it once the server is back', async () => {
    const expected = new PassThrough();
    const expectedChunks: Buffer[] = [];
    expected.on('data', (chunk: Buffer) => expectedChunks.push(chunk));
    await aggregateCsv([INPUT], expected);

    const directory = await mkdtemp(join(tmpdir(), 'playtally-s3-fault-'));
    const transport = createMemoryTransport({ closeTimeoutMs: 500 });
    const jobs = createMemoryJobStore();
    const lines: LogFields[] = [];
    // The first run reads its input slowly, so that the server dies while it runs.
    let firstRead = true;
    let readStarted!: () => void;
    const reading = new Promise<void>((resolve) => {
      readStarted = resolve;
    });
    const blobs: BlobStore = {
      ...store,
      async read(key, range) {
        const stream = await store.read(key, range);
        if (!firstRead) return stream;
        firstRead = false;
        readStarted();
        return Readable.from(
          (async function* () {
            for await (const chunk of stream as AsyncIterable<Buffer>) {
              await new Promise((resolve) => setTimeout(resolve, 200));
              yield chunk;
            }
          })(),
        );
      },
    };
    const relay = createOutboxRelay({ outbox: jobs.outbox, transport });
    relay.start();
    const service = createJobService({ jobs, blobs, relay });
    const worker = createJobWorker({
      jobs,
      blobs,
      transport,
      tempDir: directory,
      maxAttempts: 20,
      logger: recordingLogger(lines),
    });
    try {
      await worker.start();
      const job = await service.submit({ source: [INPUT], filename: 'plays – été 🎵.csv' });
      await reading;
      await server.kill();
      await vi.waitFor(
        () => expect(lines.some((line) => line.msg === 'job run failed')).toBe(true),
        { timeout: 30_000, interval: 50 },
      );
      const failure = lines.find((line) => line.msg === 'job run failed');
      expect(String((failure?.err as Error | undefined)?.message)).toMatch(
        /^s3 blob store: reading uploads\/[0-9a-f-]{36} failed: the connection to http:\/\/127\.0\.0\.1:\d+ failed/,
      );
      expect((await jobs.get(job.id))?.status, 'the job waits for a retry').toBe('processing');

      await server.start(BUCKET);
      await vi.waitFor(async () => expect((await jobs.get(job.id))?.status).toBe('succeeded'), {
        timeout: 60_000,
        interval: 100,
      });
      const done = await service.openResult(job.id);
      expect(done.job.attempts).toBeGreaterThanOrEqual(2);
      expect(done.job.filename).toBe('plays – été 🎵.csv');
      const received: Buffer[] = [];
      for await (const chunk of done.stream as AsyncIterable<Buffer>) received.push(chunk);
      expect(Buffer.concat(received).equals(Buffer.concat(expectedChunks))).toBe(true);
    } finally {
      await worker.close();
      await relay.close();
      await transport.close();
      await rm(directory, { recursive: true, force: true });
    }
  });
});
