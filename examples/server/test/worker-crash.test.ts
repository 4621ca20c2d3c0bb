import { randomBytes } from 'node:crypto';
import { createReadStream, createWriteStream } from 'node:fs';
import { mkdtemp, readdir, readFile, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { aggregateCsv } from '@playtally/core';
import { topicNames } from '@playtally/service';
import { probeTcp, requireService } from '@playtally/transport/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { generatePlays } from '../../../packages/core/src/cli/play-generator.js';
import { AMQP_URL, deleteTopics } from '../../../packages/transport-amqp/test/rabbitmq.js';
import { connectEvents, type LiveEvents } from './live-events.js';
import { createTestSchema, POSTGRES_URL, probePostgres } from './postgres.js';
import { dump, type ServerProcess, startServerProcess } from './server-process.js';

const ROWS = 3_000_000;

const available =
  (await requireService('RabbitMQ at 127.0.0.1:5672', () => probeTcp('127.0.0.1', 5672))) &&
  (await requireService(`PostgreSQL at ${POSTGRES_URL}`, probePostgres));

describe.skipIf(!available)('a worker killed in the middle of a large job (RabbitMQ)', () => {
  const prefix = `crash-${randomBytes(4).toString('hex')}`;
  const processes: ServerProcess[] = [];
  let directory: string;
  let schema: Awaited<ReturnType<typeof createTestSchema>>;
  let env: Record<string, string>;
  let input: string;
  let expected: Buffer;
  let live: LiveEvents | undefined;

  beforeAll(async () => {
    directory = await mkdtemp(join(tmpdir(), 'playtally-crash-'));
    schema = await createTestSchema();
    input = join(directory, 'plays.csv');
    await pipeline(
      Readable.from(generatePlays({ rows: ROWS, songs: 2000, days: 60, seed: 7 })),
      createWriteStream(input),
    );
    const reference = join(directory, 'reference.csv');
    await aggregateCsv(createReadStream(input), createWriteStream(reference));
    expected = await readFile(reference);
    env = {
      TRANSPORT_URL: AMQP_URL,
      DATABASE_URL: schema.url,
      STORAGE_DIR: join(directory, 'blobs'),
      TOPIC_PREFIX: prefix,
      WORKER_CONCURRENCY: '1',
      SHUTDOWN_TIMEOUT_MS: '2000',
    };
  }, 120_000);

  afterAll(async () => {
    live?.close();
    for (const process of processes) await process.stop('SIGKILL');
    await deleteTopics(Object.values(topicNames(prefix))).catch(() => {});
    await schema?.drop();
    await rm(directory, { recursive: true, force: true });
  });

  it('redelivers the job to another worker, which completes it; no partial result is ever served', async () => {
    const api = await startServerProcess('api', { env, cwd: directory });
    const first = await startServerProcess('worker', { env, cwd: directory });
    processes.push(api, first);
    const baseUrl = api.url as string;
    live = await connectEvents(baseUrl);
    const events = live;

    const upload = await fetch(`${baseUrl}/v1/jobs?filename=plays.csv`, {
      method: 'POST',
      headers: { 'content-type': 'text/csv', 'content-length': String((await stat(input)).size) },
      body: Readable.toWeb(createReadStream(input)) as ReadableStream<Uint8Array>,
      duplex: 'half',
    } as RequestInit);
    expect(upload.status).toBe(202);
    const { id } = (await upload.json()) as { id: string };

    // Poll the result the whole time: only 409s are allowed until the complete, correct file.
    const answers: number[] = [];
    let served: Buffer | undefined;
    let polling = true;
    const poller = (async () => {
      while (polling && !served) {
        const response = await fetch(`${baseUrl}/v1/jobs/${id}/result`);
        answers.push(response.status);
        if (response.status === 200) served = Buffer.from(await response.arrayBuffer());
        else await response.body?.cancel();
        await new Promise((resolve) => setTimeout(resolve, 25));
      }
    })();

    await events.until((e) => e.type === 'job.started' && e.subject === id);
    first.child.kill('SIGKILL');
    expect(await first.stop()).toBeNull();
    const midRun = (await (await fetch(`${baseUrl}/v1/jobs/${id}`)).json()) as { status: string };
    expect(midRun.status, 'the kill came before the job finished').toBe('processing');

    const second = await startServerProcess('worker', { env, cwd: directory });
    processes.push(second);
    await events
      .until((e) => e.type === 'job.completed' && e.subject === id, 90_000)
      .catch((error: Error) => {
        throw new Error(`${error.message}\nAPI:\n${dump(api.logs)}\nworker:\n${dump(second.logs)}`);
      });
    const deadline = Date.now() + 10_000;
    while (!served && Date.now() < deadline)
      await new Promise((resolve) => setTimeout(resolve, 25));
    polling = false;
    await poller;

    expect(second.logs.some((l) => l.msg === 'job succeeded' && l.jobId === id)).toBe(true);
    const job = (await (await fetch(`${baseUrl}/v1/jobs/${id}`)).json()) as Record<string, unknown>;
    expect(job).toMatchObject({ status: 'succeeded', attempts: 2, statistics: { rowsRead: ROWS } });
    expect(new Set(answers.slice(0, -1))).toEqual(new Set([409]));
    expect(answers.at(-1)).toBe(200);
    expect(served?.equals(expected), 'the served result equals the in-process engine output').toBe(
      true,
    );
    // The killed worker's unfinished output never became a result.
    const results = (await readdir(join(directory, 'blobs', 'results'))).filter(
      (name) => !name.startsWith('.tmp-'),
    );
    expect(results).toHaveLength(1);
  });
});
