import { randomBytes } from 'node:crypto';
import { createReadStream, createWriteStream } from 'node:fs';
import { mkdir, mkdtemp, readdir, readFile, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { aggregateCsv } from '@playtally/core';
import { topicNames } from '@playtally/service';
import { probeTcp, requireService } from '@playtally/transport/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { listResidue, testS3Client } from '../../../packages/blob-s3/test/s3.js';
import { generatePlays } from '../../../packages/core/src/cli/play-generator.js';
import { AMQP_URL, deleteTopics } from '../../../packages/transport-amqp/test/rabbitmq.js';
import { connectEvents, type LiveEvents } from './live-events.js';
import { createTestSchema, POSTGRES_URL, probePostgres } from './postgres.js';
import { probeS3, S3_ENDPOINT, testBucketFolder } from './s3-storage.js';
import { dump, type ServerProcess, startServerProcess } from './server-process.js';

const available =
  (await requireService('RabbitMQ at 127.0.0.1:5672', () => probeTcp('127.0.0.1', 5672))) &&
  (await requireService(`PostgreSQL at ${POSTGRES_URL}`, probePostgres)) &&
  (await requireService(`an S3 server at ${S3_ENDPOINT} (bash scripts/s3/start.sh)`, probeS3));

/** The three files of the first part, and the large one a worker is killed on. */
const FILES = [
  { name: 'plays – été 🎵.csv', rows: 150_000, songs: 300, days: 40, seed: 11 },
  { name: 'januar.csv', rows: 200_000, songs: 5000, days: 30, seed: 12 },
  { name: 'tiny.csv', rows: 500, songs: 20, days: 5, seed: 13 },
] as const;
const LARGE = { name: 'large.csv', rows: 3_000_000, songs: 2000, days: 60, seed: 14 } as const;

type Plays = { name: string; rows: number; songs: number; days: number; seed: number };

describe.skipIf(!available)(
  'many machines, sharing nothing but a bucket (RabbitMQ, PostgreSQL, S3)',
  () => {
    const prefix = `machines-${randomBytes(4).toString('hex')}`;
    const bucket = testBucketFolder('machines');
    const processes: ServerProcess[] = [];
    let directory: string;
    let schema: Awaited<ReturnType<typeof createTestSchema>>;
    let env: Record<string, string>;
    let api: ServerProcess;
    let workers: ServerProcess[];
    let live: LiveEvents;
    /** Each process's own machine: a working directory and spill directory nobody else sees. */
    const machines: string[] = [];

    /** Writes the CSV and the engine's own output for it (what the CLI prints). */
    const prepare = async (plays: Plays) => {
      const input = join(directory, 'inputs', plays.name);
      await pipeline(Readable.from(generatePlays(plays)), createWriteStream(input));
      const reference = `${input}.expected`;
      await aggregateCsv(createReadStream(input), createWriteStream(reference));
      return { ...plays, input, expected: await readFile(reference) };
    };

    const start = async (mode: 'api' | 'worker') => {
      const machine = await mkdtemp(join(directory, `${mode}-`));
      machines.push(machine);
      const started = await startServerProcess(mode, {
        env: { ...env, TEMP_DIR: join(machine, 'tmp') },
        cwd: machine,
      });
      processes.push(started);
      return started;
    };

    const upload = async (file: { name: string; input: string }) => {
      const response = await fetch(`${api.url}/v1/jobs?filename=${encodeURIComponent(file.name)}`, {
        method: 'POST',
        headers: {
          'content-type': 'text/csv',
          'content-length': String((await stat(file.input)).size),
        },
        body: Readable.toWeb(createReadStream(file.input)) as ReadableStream<Uint8Array>,
        duplex: 'half',
      } as RequestInit);
      expect(response.status, await response.clone().text()).toBe(202);
      return ((await response.json()) as { id: string }).id;
    };

    const completion = (id: string) =>
      live
        .until(
          (e) => (e.type === 'job.completed' || e.type === 'job.failed') && e.subject === id,
          120_000,
        )
        .catch((error: Error) => {
          throw new Error(
            `${error.message}\nAPI:\n${dump(api.logs)}\n${workers.map((w) => `worker:\n${dump(w.logs)}`).join('\n')}`,
          );
        });

    beforeAll(async () => {
      directory = await mkdtemp(join(tmpdir(), 'playtally-machines-'));
      await mkdir(join(directory, 'inputs'));
      schema = await createTestSchema();
      env = {
        TRANSPORT_URL: AMQP_URL,
        DATABASE_URL: schema.url,
        ...bucket.env,
        TOPIC_PREFIX: prefix,
        WORKER_CONCURRENCY: '1',
        SHUTDOWN_TIMEOUT_MS: '2000',
      };
      api = await start('api');
      workers = [await start('worker'), await start('worker')];
      live = await connectEvents(api.url as string);
    }, 120_000);

    afterAll(async () => {
      live?.close();
      for (const process of processes) await process.stop('SIGKILL');
      await deleteTopics(Object.values(topicNames(prefix))).catch(() => {});
      await schema?.drop();
      await bucket.remove();
      await rm(directory, { recursive: true, force: true });
    });

    it('runs three uploads on two workers and serves three correct results', async () => {
      const files = await Promise.all(FILES.map(prepare));
      const started = performance.now();
      const ids = await Promise.all(files.map(upload));
      const events = await Promise.all(ids.map(completion));
      const results = await Promise.all(
        ids.map(async (id) => {
          const response = await fetch(`${api.url}/v1/jobs/${id}/result`);
          expect(response.status).toBe(200);
          return {
            disposition: response.headers.get('content-disposition'),
            body: Buffer.from(await response.arrayBuffer()),
          };
        }),
      );
      const elapsed = performance.now() - started;
      console.info(
        `many machines: 3 uploads (${files.map((f) => f.rows).join(' + ')} rows) → 3 results in ${elapsed.toFixed(0)} ms`,
      );

      for (const [n, file] of files.entries()) {
        expect(events[n]?.type).toBe('job.completed');
        expect(
          results[n]?.body.equals(file.expected),
          `${file.name}: identical to the engine's output`,
        ).toBe(true);
        const job = (await (await fetch(`${api.url}/v1/jobs/${ids[n]}`)).json()) as Record<
          string,
          unknown
        >;
        expect(job).toMatchObject({
          filename: file.name,
          status: 'succeeded',
          statistics: { rowsRead: file.rows },
        });
      }
      // The unicode name survives the round trip into the download's name.
      expect(results[0]?.disposition).toContain(
        `filename*=UTF-8''${encodeURIComponent('plays – été 🎵')}`,
      );

      // Both workers took jobs; the API ran none.
      const ran = (process: ServerProcess) =>
        process.logs.filter(
          (line) => line.msg === 'job succeeded' && ids.includes(String(line.jobId)),
        );
      expect(ran(workers[0] as ServerProcess).length).toBeGreaterThan(0);
      expect(ran(workers[1] as ServerProcess).length).toBeGreaterThan(0);
      expect(ran(api)).toEqual([]);

      // Shared nothing: no process kept a blob on its own disk; the bucket holds the three results.
      for (const machine of machines) {
        const files = await readdir(machine, { recursive: true });
        expect(
          files.filter((name) => /blobs|uploads|results/.test(String(name))),
          relative(directory, machine),
        ).toEqual([]);
      }
      const client = testS3Client();
      try {
        const residue = await listResidue(client, bucket.prefix);
        expect(residue.filter((entry) => entry.includes('/results/'))).toHaveLength(3);
        expect(residue.filter((entry) => entry.includes('/uploads/'))).toEqual([]);
      } finally {
        client.destroy();
      }
    });

    it('completes a job whose worker was SIGKILLed mid-run on the other worker, with the right result', async () => {
      const file = await prepare(LARGE);
      const started = performance.now();
      const id = await upload(file);
      const first = await live.until((e) => e.type === 'job.started' && e.subject === id, 60_000);
      expect(first).toBeDefined();
      const victim = workers.find((w) =>
        w.logs.some((l) => l.msg === 'job started' && l.jobId === id),
      );
      const survivor = workers.find((w) => w !== victim);
      expect(victim, 'one worker logged the start').toBeDefined();
      victim?.child.kill('SIGKILL');
      expect(await victim?.stop()).toBeNull();
      const midRun = (await (await fetch(`${api.url}/v1/jobs/${id}`)).json()) as { status: string };
      expect(midRun.status, 'the kill came before the job finished').toBe('processing');

      const done = await completion(id);
      const result = await fetch(`${api.url}/v1/jobs/${id}/result`);
      const body = Buffer.from(await result.arrayBuffer());
      console.info(
        `many machines: ${LARGE.rows} rows with a worker killed mid-run → result in ${(performance.now() - started).toFixed(0)} ms`,
      );
      expect(done.type).toBe('job.completed');
      expect(survivor?.logs.some((l) => l.msg === 'job succeeded' && l.jobId === id)).toBe(true);
      const job = (await (await fetch(`${api.url}/v1/jobs/${id}`)).json()) as Record<
        string,
        unknown
      >;
      expect(job).toMatchObject({
        status: 'succeeded',
        attempts: 2,
        statistics: { rowsRead: LARGE.rows },
      });
      expect(body.equals(file.expected), 'identical to the engine output').toBe(true);

      const client = testS3Client();
      try {
        // One result for this job (the killed run's never became an object) and no input left.
        const residue = await listResidue(client, bucket.prefix);
        const objects = residue.filter((entry) => entry.startsWith('object'));
        expect(objects.filter((entry) => entry.includes('/results/'))).toHaveLength(4);
        expect(objects.filter((entry) => entry.includes('/uploads/'))).toEqual([]);
      } finally {
        client.destroy();
      }
    });
  },
);
