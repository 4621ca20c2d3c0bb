import { randomBytes } from 'node:crypto';
import {
  createCloudEvent,
  createTransport,
  isPlaytallyError,
  silentLogger,
  type Transport,
} from '@playtally/transport';
import { requireService } from '@playtally/transport/testing';
import { Kafka, type KafkaMessage, logLevel } from 'kafkajs';
import { afterAll, describe, expect, it, onTestFinished, vi } from 'vitest';
import {
  createTestKafka,
  deleteTopics,
  probeKafka,
  TEST_BROKERS,
  testTransportOptions,
} from '../test/test-broker.js';
import { createKafkaTransport, type KafkaTransportOptions, kafkaGroupId } from './index.js';

const available = await requireService(`Kafka at ${TEST_BROKERS.join(',')}`, probeKafka);

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

async function waitFor(condition: () => boolean, timeoutMs: number, what: string): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await sleep(20);
  }
}

describe.skipIf(!available)('kafka transport on a real broker', () => {
  const inspector = createTestKafka();
  const admin = inspector.admin();
  const topics: string[] = [];

  const topicName = (label: string) => {
    const topic = `kafka-test.${label}.${randomBytes(4).toString('hex')}`;
    topics.push(topic);
    return topic;
  };
  const open = (overrides: KafkaTransportOptions = {}): Transport => {
    const transport = createKafkaTransport(testTransportOptions(overrides));
    onTestFinished(() => transport.close());
    return transport;
  };
  it('lets several processes ensure the same new topics and groups at once (API and worker starting together)', async () => {
    const fresh = [topicName('race-a'), topicName('race-b'), topicName('race-c')];
    const transports = [open(), open(), open()];
    await Promise.all(
      transports.flatMap((transport) =>
        fresh.map((topic) => transport.ensure(topic, ['workers', 'consumers'])),
      ),
    );
    const received: string[] = [];
    await transports[1]?.subscribe(
      fresh[0] as string,
      async (event) => void received.push(event.id),
      {
        group: 'workers',
      },
    );
    const event = createCloudEvent({ type: 'race', source: '/test', data: 1 });
    await transports[0]?.publish(fresh[0] as string, event);
    await waitFor(() => received.includes(event.id), 20_000, 'the event after concurrent ensure');
  });

  /** Reads every record of `topic` from the beginning, bypassing the transport. */
  const readRaw = async (topic: string, count: number): Promise<KafkaMessage[]> => {
    const consumer = inspector.consumer({ groupId: `${topic}:raw-reader`, maxWaitTimeInMs: 200 });
    const records: KafkaMessage[] = [];
    await consumer.connect();
    try {
      await consumer.subscribe({ topic, fromBeginning: true });
      await consumer.run({ eachMessage: async ({ message }) => void records.push(message) });
      await waitFor(() => records.length >= count, 20_000, `${count} raw records`);
      return records;
    } finally {
      await consumer.disconnect();
    }
  };

  afterAll(async () => {
    await admin.disconnect();
    await deleteTopics(inspector, topics);
  });

  it('writes events in CloudEvents binary mode: ce_ headers, content-type, the key as record key', async () => {
    const transport = open();
    const topic = topicName('binary-mode');
    const event = createCloudEvent({
      type: 'song.played',
      source: '/player',
      subject: 'song-7',
      data: { song: 'Umbrella' },
      extensions: { tenant: 'acme' },
    });
    await transport.publish(topic, event, { key: 'song-7' });
    const [record] = await readRaw(topic, 1);
    const headers = Object.fromEntries(
      Object.entries(record?.headers ?? {}).map(([k, v]) => [k, String(v)]),
    );
    expect(headers).toEqual({
      ce_id: event.id,
      ce_source: '/player',
      ce_type: 'song.played',
      ce_specversion: '1.0',
      ce_time: event.time,
      ce_subject: 'song-7',
      ce_tenant: 'acme',
      'content-type': 'application/json',
    });
    expect(record?.key?.toString()).toBe('song-7');
    expect(JSON.parse(record?.value?.toString() ?? 'null')).toEqual({ song: 'Umbrella' });
  });

  it('creates topics with the configured partitions and keeps one key on one partition', async () => {
    const transport = open({ partitions: 5 });
    const topic = topicName('partitions');
    await transport.ensure(topic, []);
    await admin.connect();
    const metadata = await admin.fetchTopicMetadata({ topics: [topic] });
    expect(metadata.topics[0]?.partitions).toHaveLength(5);
    for (let n = 0; n < 10; n += 1) {
      await transport.publish(topic, createCloudEvent({ type: 't', source: '/s', data: n }), {
        key: 'same',
      });
    }
    const offsets = await admin.fetchTopicOffsets(topic);
    const used = offsets.filter((p) => Number(p.high) > 0);
    expect(used).toHaveLength(1);
    expect(Number(used[0]?.high)).toBe(10);
  });

  it('names the consumer group of a subscription <topic>:<group>', async () => {
    const transport = open();
    const topic = topicName('group-name');
    await transport.subscribe(topic, async () => {}, { group: 'billing' });
    await admin.connect();
    const groups = (await admin.listGroups()).groups.map((g) => g.groupId);
    expect(groups).toContain(kafkaGroupId(topic, 'billing'));
    expect(kafkaGroupId(topic, 'billing')).toBe(`${topic}:billing`);
  });

  it('keeps handling other keys and partitions while one handler is slow', async () => {
    const transport = open({ partitions: 3 });
    const topic = topicName('slow-lane');
    let release: () => void = () => {};
    const blocked = new Promise<void>((resolve) => {
      release = resolve;
    });
    const handledWhileBlocked: string[] = [];
    let blocking = true;
    await transport.subscribe<{ key: string }>(
      topic,
      async (event) => {
        if (event.data.key === 'slow') await blocked;
        else if (blocking) handledWhileBlocked.push(event.data.key);
      },
      { group: 'lanes', concurrency: 2 },
    );
    await transport.publish(
      topic,
      createCloudEvent({ type: 't', source: '/s', data: { key: 'slow' } }),
      { key: 'slow' },
    );
    await sleep(300);
    const keys = Array.from({ length: 30 }, (_, n) => `key-${n}`);
    for (const key of keys) {
      await transport.publish(topic, createCloudEvent({ type: 't', source: '/s', data: { key } }), {
        key,
      });
    }
    // Other keys are handled although the slow one never returns.
    await waitFor(() => handledWhileBlocked.length >= 5, 20_000, 'events of other partitions');
    blocking = false;
    release();
  });

  it('keeps each key in order at concurrency above one while different keys run side by side', async () => {
    const transport = open({ partitions: 1 });
    const topic = topicName('key-order');
    const seen = new Map<string, number[]>();
    let active = 0;
    let mostActive = 0;
    await transport.subscribe<{ key: string; n: number }>(
      topic,
      async (event) => {
        active += 1;
        mostActive = Math.max(mostActive, active);
        await sleep(Math.random() * 10);
        seen.set(event.data.key, [...(seen.get(event.data.key) ?? []), event.data.n]);
        active -= 1;
      },
      { group: 'ordered', concurrency: 8 },
    );
    const keys = ['a', 'b', 'c', 'd', 'e', 'f'];
    const events = Array.from({ length: 120 }, (_, n) => ({
      key: keys[n % keys.length] as string,
      n,
    }));
    await Promise.all(
      events.map((data) =>
        transport.publish(topic, createCloudEvent({ type: 't', source: '/s', data }), {
          key: data.key,
        }),
      ),
    );
    await waitFor(
      () => [...seen.values()].reduce((sum, list) => sum + list.length, 0) >= 120,
      20_000,
      'all events',
    );
    for (const key of keys) {
      const sequence = seen.get(key) ?? [];
      expect(sequence).toEqual([...sequence].sort((x, y) => x - y));
      expect(sequence).toHaveLength(20);
    }
    // One partition, yet several handlers at once: concurrency is not capped by partitions.
    expect(mostActive).toBeGreaterThan(1);
    expect(mostActive).toBeLessThanOrEqual(8);
  });

  it('does not redeliver to a handler slower than the session timeout', async () => {
    const transport = open({ sessionTimeoutMs: 3_000, heartbeatIntervalMs: 500 });
    const topic = topicName('slow-handler');
    const attempts: number[] = [];
    await transport.subscribe(
      topic,
      async (_event, context) => {
        attempts.push(context.attempt);
        await sleep(5_000);
      },
      { group: 'patient' },
    );
    await transport.publish(topic, createCloudEvent({ type: 't', source: '/s', data: 1 }));
    await waitFor(() => attempts.length === 1, 20_000, 'the first delivery');
    await sleep(6_500);
    expect(attempts).toEqual([1]);
  });

  it('bounds close by the close timeout, aborts the handler signal and leaves the event uncommitted', async () => {
    const transport = open({ closeTimeoutMs: 500 });
    const topic = topicName('stuck');
    let signal: AbortSignal | undefined;
    const subscription = await transport.subscribe(
      topic,
      async (_event, context) => {
        signal = context.signal;
        await new Promise(() => {});
      },
      { group: 'stuck' },
    );
    await transport.publish(topic, createCloudEvent({ type: 't', source: '/s', data: 'held' }));
    await waitFor(() => signal !== undefined, 20_000, 'the handler to start');
    const started = Date.now();
    await subscription.close();
    expect(Date.now() - started).toBeLessThan(5_000);
    expect(signal?.aborted).toBe(true);
    const again: unknown[] = [];
    await transport.subscribe(topic, async (event) => void again.push(event.data), {
      group: 'stuck',
    });
    await waitFor(() => again.length === 1, 20_000, 'the redelivery');
    expect(again).toEqual(['held']);
  });

  it('logs a dead letter it cannot publish and keeps the event unacknowledged', async () => {
    // The longest valid topic name: its dead-letter topic's name is too long for Kafka.
    const topic = topicName('long').padEnd(249, 'x');
    const error = vi.fn();
    const transport = open({ logger: { ...silentLogger, error } });
    await transport.subscribe(
      topic,
      async () => {
        throw new Error('refused');
      },
      { group: 'doomed', maxAttempts: 1, backoff: { initialMs: 10, maxMs: 50, factor: 2 } },
    );
    await transport.publish(topic, createCloudEvent({ type: 't', source: '/s', data: 1 }));
    await vi.waitFor(() => expect(error.mock.calls.length).toBeGreaterThanOrEqual(2), {
      timeout: 20_000,
    });
    expect(error.mock.calls[0]?.[1]).toMatch(/publishing a dead letter failed/);
    expect(String(error.mock.calls[0]?.[0].err.message)).toMatch(/not a valid Kafka topic name/);
    expect(await transport.inspect(topic, 'doomed')).toEqual([
      expect.objectContaining({ ready: 0, inFlight: 1 }),
    ]);
  });

  it('is what createTransport("kafka://…") builds', async () => {
    const transport = await createTransport(`kafka://${TEST_BROKERS.join(',')}`, {
      importModule: (specifier) => import(specifier),
    });
    onTestFinished(() => transport.close());
    expect(transport.name).toBe('kafka');
    await expect(transport.ping()).resolves.toBeUndefined();
  });

  it('rejects ping with TRANSPORT_ERROR when no broker answers', async () => {
    const kafka = new Kafka({
      brokers: ['127.0.0.1:1'],
      logLevel: logLevel.NOTHING,
      retry: { retries: 0 },
      connectionTimeout: 500,
    });
    const transport = createKafkaTransport({ kafka });
    onTestFinished(() => transport.close());
    const error = await transport.ping().catch((e: unknown) => e);
    expect(isPlaytallyError(error, 'TRANSPORT_ERROR')).toBe(true);
  });
});
