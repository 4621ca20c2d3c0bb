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

/*
 * Split jobs across processes: an API and worker processes on RabbitMQ and PostgreSQL, with
 * SPLIT_BYTES small enough that an ordinary file becomes a dozen parts.
 */

const ROWS = 1_500_000;
const SPLIT_BYTES = 2 * 1024 * 1024;

const available =
  (await requireService('RabbitMQ at 127.0.0.1:5672', () => probeTcp('127.0.0.1', 5672))) &&
  (await requireService(`PostgreSQL at ${POSTGRES_URL}`, probePostgres));

type Log = Record<string, unknown>;
const partsWith = (logs: readonly Log[], message: string, jobId: string): number[] =>
  logs.filter((l) => l.msg === message && l.jobId === jobId).map((l) => Number(l.part));

describe.skipIf(!available)('split jobs across worker processes (RabbitMQ, PostgreSQL)', () => {
  const prefix = `split-${randomBytes(4).toString('hex')}`;
  const processes: ServerProcess[] = [];
  let directory: string;
  let schema: Awaited<ReturnType<typeof createTestSchema>>;
  let env: Record<string, string>;
  let input: string;
  let expected: Buffer;
  let live: LiveEvents | undefined;
  let api: ServerProcess;

  beforeAll(async () => {
    directory = await mkdtemp(join(tmpdir(), 'playtally-split-'));
    schema = await createTestSchema();
    input = join(directory, 'plays.csv');
    await pipeline(
      Readable.from(generatePlays({ rows: ROWS, songs: 3000, days: 90, seed: 11 })),
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
      SPLIT_BYTES: String(SPLIT_BYTES),
    };
    api = await startServerProcess('api', { env, cwd: directory });
    processes.push(api);
    live = await connectEvents(api.url as string);
  }, 180_000);

  afterAll(async () => {
    live?.close();
    for (const process of processes) await process.stop('SIGKILL');
    await deleteTopics(Object.values(topicNames(prefix))).catch(() => {});
    await schema?.drop();
    await rm(directory, { recursive: true, force: true });
  });

  const upload = async (body: Buffer | string, query = '') => {
    const response = await fetch(`${api.url}/v1/jobs?filename=plays.csv${query}`, {
      method: 'POST',
      headers: { 'content-type': 'text/csv' },
      body: typeof body === 'string' ? body : new Uint8Array(body),
    });
    expect(response.status).toBe(202);
    return (await response.json()) as { id: string; parts: { total: number } | null };
  };

  it('survives a worker SIGKILLed mid-part: the part is redelivered, counted once, the result exact', async () => {
    const events = live!;
    const first = await startServerProcess('worker', { env, cwd: directory });
    const second = await startServerProcess('worker', { env, cwd: directory });
    processes.push(first, second);
    const size = (await stat(input)).size;
    const job = await upload(await readFile(input));
    expect(job.parts?.total).toBeGreaterThanOrEqual(Math.floor(size / SPLIT_BYTES));

    // Kill the first worker while it aggregates a part (one it started and has not finished).
    const deadline = Date.now() + 60_000;
    let unfinished: number[] = [];
    while (Date.now() < deadline) {
      const done = new Set(partsWith(first.logs, 'part done', job.id));
      unfinished = partsWith(first.logs, 'part started', job.id).filter((p) => !done.has(p));
      if (unfinished.length > 0 && done.size > 0) break;
      await new Promise((resolve) => setTimeout(resolve, 5));
    }
    first.child.kill('SIGKILL');
    await first.stop();
    const killedDone = new Set(partsWith(first.logs, 'part done', job.id));
    const interrupted = partsWith(first.logs, 'part started', job.id).filter(
      (p) => !killedDone.has(p),
    );
    expect(interrupted.length, 'the kill came in the middle of a part').toBeGreaterThan(0);

    await events
      .until(
        (e) => e.subject === job.id && (e.type === 'job.completed' || e.type === 'job.failed'),
        120_000,
      )
      .catch((error: Error) => {
        throw new Error(`${error.message}\nworker:\n${dump(second.logs)}`);
      });
    // The part the killed worker was running was done again by the other one.
    const redone = new Set(partsWith(second.logs, 'part done', job.id));
    for (const part of interrupted) expect(redone.has(part), `part ${part} redone`).toBe(true);

    const view = (await (await fetch(`${api.url}/v1/jobs/${job.id}`)).json()) as Record<
      string,
      unknown
    >;
    expect(view).toMatchObject({
      status: 'succeeded',
      statistics: { rowsRead: ROWS, rowsRejected: 0 },
      progress: { rowsRead: ROWS, bytesRead: size, totalBytes: size },
      parts: { total: job.parts?.total, done: job.parts?.total, running: 0 },
    });
    const result = await fetch(`${api.url}/v1/jobs/${job.id}/result`);
    expect(Buffer.from(await result.arrayBuffer()).equals(expected)).toBe(true);
    // Nothing of the parts is left: neither the killed run's (a partial result stored but not
    // recorded, or the temporary file of one being stored) nor any finished part's.
    const blobFolders = await readdir(join(directory, 'blobs'));
    expect(blobFolders.filter((name) => name.startsWith('partials-'))).toEqual([]);
  }, 240_000);

  it('fails a split job with the exact line of its first bad row, and cancels every part', async () => {
    const events = live!;
    processes.push(await startServerProcess('worker', { env, cwd: directory }));
    const text = await readFile(input, 'utf8');
    const lines = text.split('\n');
    // A bad row two thirds in, and another near the end.
    const badLine = Math.floor(lines.length * 0.66);
    lines[badLine - 1] = 'Bad Song,2020-01-01,-3';
    lines[lines.length - 10] = 'Bad Song,2020-13-01,3';
    const bad = lines.join('\n');
    const message = await aggregateCsv([Buffer.from(bad)], createWriteStream('/dev/null')).then(
      () => 'no error',
      (error: Error) => error.message,
    );
    expect(message).toMatch(new RegExp(`^line ${badLine}: `));
    const failing = await upload(bad);
    await events.until((e) => e.subject === failing.id && e.type === 'job.failed', 120_000);
    const view = (await (await fetch(`${api.url}/v1/jobs/${failing.id}`)).json()) as {
      error: unknown;
    };
    expect(view.error).toEqual({ code: 'INVALID_ROW', message });

    // Cancel a running split job: no worker keeps running its parts.
    const running = await upload(await readFile(input));
    await events.until((e) => e.subject === running.id && e.type === 'job.progress', 60_000);
    const cancelled = await fetch(`${api.url}/v1/jobs/${running.id}`, { method: 'DELETE' });
    expect(cancelled.status).toBeLessThan(300);
    await new Promise((resolve) => setTimeout(resolve, 1500));
    const after = (await (await fetch(`${api.url}/v1/jobs/${running.id}`)).json()) as {
      status: string;
      parts: { done: number; total: number };
    };
    expect(after.status).toBe('cancelled');
    expect(after.parts.done).toBeLessThan(after.parts.total);
    expect(events.events.some((e) => e.subject === running.id && e.type === 'job.completed')).toBe(
      false,
    );
  }, 240_000);
});
