import { randomBytes } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createApp, type PlaytallyApp } from '@playtally/http';
import {
  createFsBlobStore,
  createMessageConsumer,
  createWorkerPresence,
  type MessageConsumer,
  type TopicNames,
  topicNames,
  UnrecoverableError,
  type WorkerPresence,
} from '@playtally/service';
import { createSqliteStores, type SqlStores } from '@playtally/store-sql';
import type { Transport } from '@playtally/transport';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

/** A broker the system API suite runs on. */
export interface SystemBroker {
  /** A fresh transport on the broker. */
  open(): Promise<Transport>;
  /** Deletes the topics the run created (and their dead-letter topics). */
  deleteTopics(topics: readonly string[]): Promise<void>;
  /** How long broker-side figures may take to settle (Kafka rebalances take seconds). */
  timeoutMs: number;
}

const IDLE = { processed: 0, failed: 0 };

/** A transport whose `publish` can be cut, as if its process had been killed. */
function killable(transport: Transport): { transport: Transport; kill(): void } {
  let dead = false;
  return {
    kill: () => {
      dead = true;
    },
    transport: {
      name: transport.name,
      capabilities: transport.capabilities,
      publish: (topic, event, options) =>
        dead ? Promise.reject(new Error('killed')) : transport.publish(topic, event, options),
      ensure: (topic, groups) => transport.ensure(topic, groups),
      subscribe: (topic, handler, options) => transport.subscribe(topic, handler, options),
      ping: () => transport.ping(),
      inspect: (topic, group) => transport.inspect(topic, group),
      close: () => transport.close(),
    },
  };
}

/**
 * `GET /v1/workers`, `GET /v1/queues` and the dead-letter routes over one broker: an API on
 * SQLite, workers announcing themselves, a message consumer whose handler refuses a message
 * until it is fixed.
 */
export function describeSystemApi(name: string, broker: SystemBroker): void {
  describe(`the operator's view on ${name}`, () => {
    const prefix = `system-${randomBytes(4).toString('hex')}`;
    const topics: TopicNames = topicNames(prefix);
    let directory: string;
    let transport: Transport;
    let stores: SqlStores;
    let api: PlaytallyApp;
    let consumer: MessageConsumer | undefined;
    const presences: WorkerPresence[] = [];
    let refuse = true;
    const poll = <T>(read: () => Promise<T> | T) =>
      expect.poll(read, { timeout: broker.timeoutMs, interval: 100 });
    const request = async (path: string, init?: RequestInit) => {
      const response = await api.app.request(path, init);
      const body = response.status === 204 ? undefined : await response.json();
      return {
        status: response.status,
        body: body as Record<string, unknown> & { items?: never[] },
      };
    };
    const items = async <T>(path: string) => (await request(path)).body.items as unknown as T[];
    const postMessage = async (data: Record<string, unknown>) =>
      (
        await request('/v1/messages', {
          method: 'POST',
          headers: { 'content-type': 'application/json' },
          body: JSON.stringify(data),
        })
      ).body as { id: string };

    beforeAll(async () => {
      directory = await mkdtemp(join(tmpdir(), 'playtally-system-'));
      transport = await broker.open();
      stores = await createSqliteStores({ filename: join(directory, 'playtally.db') });
      api = createApp({
        jobs: stores.jobs,
        messages: stores.messages,
        deadLetters: stores.deadLetters,
        blobs: createFsBlobStore({ directory: join(directory, 'blobs') }),
        transport,
        topics,
        reconciler: false,
        webPage: false,
      });
      await api.start();
    }, 60_000);

    afterAll(async () => {
      for (const presence of presences) await presence.close();
      await consumer?.close();
      await api?.close();
      await transport?.close();
      await stores?.close();
      await broker.deleteTopics([topics.jobs, topics.messages, topics.events]).catch(() => {});
      await rm(directory, { recursive: true, force: true });
    }, 60_000);

    it('lists two workers alive, drops one that says goodbye, shows a killed one lost with its jobs at risk', async () => {
      const beating = (activeJobs: string[], via: Transport) =>
        createWorkerPresence({
          transport: via,
          topics,
          concurrency: 2,
          heartbeatMs: 200,
          version: '1.2.3',
          activity: () => ({ activeJobs, jobs: { processed: 3, failed: 1 }, messages: IDLE }),
        });
      const doomed = killable(transport);
      const leaving = beating([], transport);
      const killed = beating(['job-a', 'job-b'], doomed.transport);
      presences.push(leaving, killed);
      await leaving.start();
      await killed.start();
      await poll(async () => (await items<{ status: string }>('/v1/workers')).length).toBe(2);
      const listed = await items<Record<string, unknown>>('/v1/workers');
      expect(listed.map((worker) => worker.status)).toEqual(['alive', 'alive']);
      expect(listed.find((worker) => worker.id === killed.id)).toMatchObject({
        pid: process.pid,
        version: '1.2.3',
        transport: transport.name,
        concurrency: 2,
        activeJobs: ['job-a', 'job-b'],
        jobs: { processed: 3, failed: 1 },
        messages: IDLE,
        jobsAtRisk: [],
      });
      const metrics = await (await api.app.request('/metrics')).text();
      expect(metrics).toMatch(/playtally_workers\{status="alive"\} 2/);

      await leaving.close();
      await poll(async () => (await items<{ id: string }>('/v1/workers')).map((w) => w.id)).toEqual(
        [killed.id],
      );
      doomed.kill();
      await poll(async () => (await items<{ status: string }>('/v1/workers'))[0]?.status).toBe(
        'lost',
      );
      expect((await items<Record<string, unknown>>('/v1/workers'))[0]).toMatchObject({
        id: killed.id,
        jobsAtRisk: ['job-a', 'job-b'],
      });
      expect(await (await api.app.request('/metrics')).text()).toMatch(
        /playtally_worker_active_jobs\{status="lost"\} 2/,
      );
    });

    it('shows the backlog of a queue nobody reads, and its consumer once one reads it', async () => {
      const queue = async () =>
        (await items<Record<string, unknown>>('/v1/queues')).find(
          (entry) => entry.topic === topics.messages,
        );
      expect(
        (await items<{ topic: string; group: string }>('/v1/queues'))
          .map((q) => `${q.topic}/${q.group}`)
          .sort(),
      ).toEqual([`${topics.jobs}/workers`, `${topics.messages}/consumers`]);
      for (let n = 0; n < 3; n += 1) await postMessage({ n });
      await poll(queue).toMatchObject({ group: 'consumers', ready: 3, inFlight: 0, consumers: 0 });

      consumer = createMessageConsumer({
        messages: stores.messages,
        transport,
        topics,
        maxAttempts: 2,
        handler: async (message) => {
          if (refuse && message.data.refuse === true)
            throw new UnrecoverableError('refused: the order has a negative amount');
        },
      });
      await consumer.start();
      await poll(queue).toMatchObject({ ready: 0, inFlight: 0, consumers: 1, deadLetters: 0 });
      expect(consumer.stats()).toEqual({ processed: 3, failed: 0 });
    });

    it('records a refused message as a dead letter, replays it once, discards it', async () => {
      const message = await postMessage({ refuse: true, amount: -5 });
      const path = `/v1/dead-letters?topic=${encodeURIComponent(topics.messages)}`;
      await poll(async () => (await items<unknown>(path)).length).toBe(1);
      const [letter] = await items<Record<string, unknown> & { id: string }>(path);
      expect(letter).toMatchObject({
        topic: topics.messages,
        group: 'consumers',
        reason: 'refused: the order has a negative amount',
        attempts: 1,
        eventType: 'message',
        status: 'pending',
        replayedAt: null,
        event: { subject: message.id, data: { refuse: true, amount: -5 } },
      });
      expect(await items(`/v1/dead-letters?topic=${encodeURIComponent(topics.jobs)}`)).toEqual([]);
      await poll(
        async () =>
          (await items<Record<string, unknown>>('/v1/queues')).find(
            (q) => q.topic === topics.messages,
          )?.deadLetters,
      ).toBe(1);
      expect((await request(`/v1/messages/${message.id}`)).body.status).toBe('received');

      refuse = false;
      const replayed = await request(`/v1/dead-letters/${letter!.id}/replay`, { method: 'POST' });
      expect(replayed.status).toBe(200);
      expect(replayed.body).toMatchObject({ id: letter!.id, status: 'replayed' });
      await poll(async () => (await request(`/v1/messages/${message.id}`)).body.status).toBe(
        'consumed',
      );
      const again = await request(`/v1/dead-letters/${letter!.id}/replay`, { method: 'POST' });
      expect(again.status).toBe(409);
      expect(again.body).toMatchObject({ error: { code: 'CONFLICT' } });
      expect(
        (await items<Record<string, unknown>>('/v1/queues')).find(
          (q) => q.topic === topics.messages,
        )?.deadLetters,
      ).toBe(0);

      expect((await request(`/v1/dead-letters/${letter!.id}`, { method: 'DELETE' })).status).toBe(
        204,
      );
      expect((await request(`/v1/dead-letters/${letter!.id}`, { method: 'DELETE' })).status).toBe(
        404,
      );
      expect(
        (await request(`/v1/dead-letters/${letter!.id}/replay`, { method: 'POST' })).status,
      ).toBe(404);
      expect(await items(path)).toEqual([]);
    });
  });
}
