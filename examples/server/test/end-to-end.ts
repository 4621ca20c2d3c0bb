import { randomBytes } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { topicNames } from '@playtally/service';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CANONICAL_INPUT, CANONICAL_OUTPUT } from './canonical.js';
import { readComposeService } from './compose-environment.js';
import { connectEvents, type LiveEvents } from './live-events.js';
import { createTestSchema } from './postgres.js';
import { testBucketFolder } from './s3-storage.js';
import { dump, type ServerProcess, startServerProcess } from './server-process.js';

/** A broker the end-to-end suite runs against. */
export interface EndToEndBroker {
  /** The `examples/compose/<stack>` whose api and worker commands and settings are run natively. */
  composeStack: 'rabbitmq' | 'kafka' | 'redis';
  /** `TRANSPORT_URL` of the processes. */
  transportUrl: string;
  /** Deletes the topics the run created (and their dead-letter topics). */
  deleteTopics(topics: readonly string[]): Promise<void>;
}

/**
 * The whole system as separate processes: one API and one worker (`start:api`,
 * `start:worker`) on `broker`, PostgreSQL (a schema of their own) and a bucket folder of their
 * own on the S3 server of the tests (S3Proxy), as the compose stack runs them on MinIO. The
 * processes run the modes and environment of the broker's compose stack, with only the broker,
 * database and bucket (and its credentials) pointed at this machine: the stack's smoke test.
 */
export function describeEndToEnd(name: string, broker: EndToEndBroker): void {
  describe(`playtally on ${name}, API and worker in separate processes`, () => {
    const prefix = `e2e-${randomBytes(4).toString('hex')}`;
    let directory: string;
    let schema: Awaited<ReturnType<typeof createTestSchema>>;
    const bucket = testBucketFolder('e2e');
    let api: ServerProcess;
    let worker: ServerProcess;
    let live: LiveEvents;
    let baseUrl: string;

    beforeAll(async () => {
      directory = await mkdtemp(join(tmpdir(), 'playtally-e2e-'));
      schema = await createTestSchema();
      const [composeApi, composeWorker] = await Promise.all([
        readComposeService(broker.composeStack, 'api'),
        readComposeService(broker.composeStack, 'worker-1'),
      ]);
      expect(composeWorker.environment).toEqual(composeApi.environment);
      const env = {
        ...composeApi.environment,
        TRANSPORT_URL: broker.transportUrl,
        DATABASE_URL: schema.url,
        ...bucket.env,
        TOPIC_PREFIX: prefix,
        SHUTDOWN_TIMEOUT_MS: '5000',
      };
      [api, worker] = await Promise.all([
        startServerProcess(composeApi.mode, { env, cwd: directory }),
        startServerProcess(composeWorker.mode, { env, cwd: directory }),
      ]);
      baseUrl = api.url as string;
      live = await connectEvents(baseUrl);
    });

    afterAll(async () => {
      live?.close();
      const codes = await Promise.all([api?.stop(), worker?.stop()]);
      await broker.deleteTopics(Object.values(topicNames(prefix))).catch(() => {});
      await schema?.drop();
      await bucket.remove();
      await rm(directory, { recursive: true, force: true });
      expect(codes, 'both processes shut down cleanly on SIGTERM').toEqual([0, 0]);
    });

    it('aggregates an uploaded CSV and serves the exact result, with live events', async () => {
      const form = new FormData();
      form.append('file', new Blob([CANONICAL_INPUT], { type: 'text/csv' }), 'plays.csv');
      const upload = await fetch(`${baseUrl}/v1/jobs`, { method: 'POST', body: form });
      expect(upload.status).toBe(202);
      const { id } = (await upload.json()) as { id: string };

      const completed = await live
        .until((event) => event.type === 'job.completed' && event.subject === id)
        .catch((error: Error) => {
          throw new Error(
            `${error.message}\nAPI:\n${dump(api.logs)}\nworker:\n${dump(worker.logs)}`,
          );
        });
      expect(completed.source).toBe('/playtally/worker');
      expect(completed.data.job).toMatchObject({ id, status: 'succeeded', attempts: 1 });
      const types = live.events.filter((e) => e.subject === id).map((e) => e.type);
      expect(types).toContain('job.queued');
      expect(types).toContain('job.started');

      // The worker process did the work, through the broker; the API process only queued it.
      expect(worker.logs.some((l) => l.msg === 'job succeeded' && l.jobId === id)).toBe(true);
      expect(api.logs.some((l) => l.msg === 'job succeeded')).toBe(false);

      const result = await fetch(`${baseUrl}/v1/jobs/${id}/result`);
      expect(result.status).toBe(200);
      expect(await result.text()).toBe(CANONICAL_OUTPUT);
      const job = (await (await fetch(`${baseUrl}/v1/jobs/${id}`)).json()) as Record<
        string,
        unknown
      >;
      expect(job).toMatchObject({
        status: 'succeeded',
        statistics: { rowsRead: 7, groupsWritten: 4 },
      });
    });

    it('carries a message from POST to message.received, message.consumed and the list', async () => {
      const posted = await fetch(`${baseUrl}/v1/messages`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ hello: name }),
      });
      expect(posted.status).toBe(202);
      const { id } = (await posted.json()) as { id: string };
      await live.until((event) => event.type === 'message.consumed' && event.subject === id);
      const received = live.events.findIndex(
        (e) => e.type === 'message.received' && e.subject === id,
      );
      const consumed = live.events.findIndex(
        (e) => e.type === 'message.consumed' && e.subject === id,
      );
      expect(received).toBeGreaterThanOrEqual(0);
      expect(received).toBeLessThan(consumed);

      const page = (await (await fetch(`${baseUrl}/v1/messages`)).json()) as {
        items: { id: string; status: string; data: unknown }[];
      };
      expect(page.items.find((message) => message.id === id)).toMatchObject({
        status: 'consumed',
        data: { hello: name },
      });
    });
  });
}
