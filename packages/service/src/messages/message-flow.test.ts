import type { CloudEvent } from '@playtally/transport';
import { createMemoryTransport, type MemoryTransport } from '@playtally/transport';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { z } from 'zod';
import type { StoredMessage } from '../domain/message.js';
import { ensureTopics, TOPICS } from '../events/topics.js';
import { createOutboxRelay, type OutboxRelay } from '../outbox/outbox-relay.js';
import { createReconciler } from '../outbox/reconciler.js';
import type { MessageStore } from '../ports/message-store.js';
import { createMemoryMessageStore } from '../stores/memory-message-store.js';
import { createMessageConsumer, type MessageConsumerOptions } from './message-consumer.js';
import { createMessageSchemaRegistry } from './message-schemas.js';
import { createMessageService, type MessageService } from './message-service.js';

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

let transport: MemoryTransport;
let messages: MessageStore;
let service: MessageService;
let relay: OutboxRelay;
let events: CloudEvent[];
let closers: (() => Promise<void>)[];

beforeEach(async () => {
  transport = createMemoryTransport({ closeTimeoutMs: 500 });
  messages = createMemoryMessageStore();
  relay = createOutboxRelay({ outbox: messages.outbox, transport, pollIntervalMs: 20 });
  relay.start();
  service = createMessageService({ messages, relay });
  events = [];
  closers = [];
  await transport.subscribe(TOPICS.events, async (event) => {
    events.push(event);
  });
});

afterEach(async () => {
  for (const close of closers) await close();
  await relay.close();
  await transport.close();
});

async function startConsumer(options: Partial<MessageConsumerOptions> = {}) {
  const consumer = createMessageConsumer({
    messages,
    transport,
    maxAttempts: 3,
    ...options,
  });
  closers.push(() => consumer.close());
  await consumer.start();
  return consumer;
}

async function waitForConsumed(id: string): Promise<StoredMessage> {
  const deadline = Date.now() + 5000;
  for (;;) {
    const message = await messages.get(id);
    if (message?.status === 'consumed') return message;
    if (Date.now() > deadline) throw new Error(`message ${id} not consumed`);
    await sleep(5);
  }
}

describe('the message flow', () => {
  it('stores a message as received, then the consumer marks it consumed and says so', async () => {
    await startConsumer();
    const stored = await service.post({ data: { hello: 'world' } });
    expect(stored).toMatchObject({ type: 'message', status: 'received', consumedAt: null });
    const consumed = await waitForConsumed(stored.id);
    expect(consumed).toMatchObject({
      id: stored.id,
      data: { hello: 'world' },
      receivedAt: stored.receivedAt,
    });
    await sleep(20);
    const types = events.filter((e) => e.subject === stored.id).map((e) => e.type);
    expect(types).toEqual(['message.received', 'message.consumed']);
  });

  it('keeps a posted message for a consumer that starts later, once the topics are ensured', async () => {
    await ensureTopics(transport); // what the API does at start-up
    const stored = await service.post({ data: { early: true } });
    await startConsumer();
    expect((await waitForConsumed(stored.id)).data).toEqual({ early: true });
  });

  it('runs the custom handler once per message, retrying it when it throws', async () => {
    const handled: string[] = [];
    let failures = 1;
    await startConsumer({
      handler: async (message) => {
        if (failures-- > 0) throw new Error('downstream busy');
        handled.push(message.id);
      },
    });
    const stored = await service.post({ data: { n: 1 } });
    await waitForConsumed(stored.id);
    // A redelivery of a consumed message skips the handler.
    await transport.publish(TOPICS.messages, {
      id: stored.id,
      source: stored.source,
      type: stored.type,
      specversion: '1.0',
      time: stored.receivedAt,
      datacontenttype: 'application/json',
      data: stored.data,
    });
    await sleep(100);
    expect(handled).toEqual([stored.id]);
  });

  it('validates typed messages with their registered schema', async () => {
    const schemas = createMessageSchemaRegistry().register(
      'footage',
      z.object({ camera: z.string(), frames: z.number().int().positive() }),
    );
    const typed = createMessageService({ messages, relay, schemas });
    await expect(
      typed.post({ type: 'footage', data: { camera: 'A', frames: 0 } }),
    ).rejects.toMatchObject({
      code: 'VALIDATION_FAILED',
      details: { type: 'footage', issues: [expect.objectContaining({ path: ['frames'] })] },
    });
    await expect(typed.post({ type: 'other', data: { anything: 1 } })).resolves.toMatchObject({
      type: 'other',
    });
    await expect(typed.post({ data: 'not an object' })).rejects.toMatchObject({
      code: 'VALIDATION_FAILED',
    });
    await expect(typed.post({ type: '../etc', data: {} })).rejects.toMatchObject({
      code: 'VALIDATION_FAILED',
    });
  });

  it("keeps the client's ce-id and ce-time, and stores a repeated ce-id once", async () => {
    const delivered: CloudEvent[] = [];
    await transport.subscribe(TOPICS.messages, async (event) => {
      delivered.push(event);
    });
    const input = {
      data: { n: 1 },
      source: 'urn:sensor:7',
      eventId: 'A234-1234-1234',
      eventTime: '2024-04-05T17:31:00+02:00',
    };
    const first = await service.post(input);
    const again = await service.post({ ...input, data: { n: 2 } });
    const other = await service.post({ ...input, source: 'urn:sensor:8' });
    expect(again).toEqual(first);
    expect(other.id).not.toBe(first.id);
    await relay.drain();
    await sleep(20);
    expect(delivered.filter((event) => event.subject === first.id)).toEqual([
      expect.objectContaining({
        id: 'A234-1234-1234',
        source: 'urn:sensor:7',
        time: '2024-04-05T17:31:00+02:00',
        data: { n: 1 },
      }),
    ]);
  });

  it('replays an Idempotency-Key with the same message and refuses it with another', async () => {
    const first = await service.post({ data: { n: 1 }, idempotencyKey: 'k-1' });
    expect(await service.post({ data: { n: 1 }, idempotencyKey: 'k-1' })).toEqual(first);
    await expect(service.post({ data: { n: 2 }, idempotencyKey: 'k-1' })).rejects.toMatchObject({
      code: 'IDEMPOTENCY_KEY_REUSED',
    });
    expect((await messages.list()).items).toHaveLength(1);
  });

  it('refuses new messages with BACKLOG_FULL while the outbox is at its limit', async () => {
    await relay.close();
    relay = createOutboxRelay({ outbox: messages.outbox, transport, maxBacklog: 2 });
    const full = createMessageService({ messages, relay });
    await full.post({ data: { n: 1 } });
    expect(await relay.refreshBacklog()).toBe(2); // message.received and the message itself
    await expect(full.post({ data: { n: 2 } })).rejects.toMatchObject({
      code: 'BACKLOG_FULL',
      details: { component: 'broker' },
    });
  });

  it('republishes a message still received after the reconcile age', async () => {
    const stored = await service.post({ data: { lost: true } });
    await relay.drain();
    // The broker confirmed it, then lost it (a Redis restarted without persistence): nobody
    // consumed it. The reconciler sends it again.
    const reconciler = createReconciler({
      jobs: (await import('../stores/memory-job-store.js')).createMemoryJobStore(),
      messages,
    });
    await startConsumer();
    expect(await reconciler.runOnce({ olderThanMs: 0 })).toEqual({ jobs: 0, messages: 1 });
    expect(await reconciler.runOnce({ olderThanMs: 60_000 })).toEqual({ jobs: 0, messages: 0 });
    relay.notify();
    expect((await waitForConsumed(stored.id)).data).toEqual({ lost: true });
  });

  it('commits concurrent posts together, and a failing one alone', async () => {
    const batches: number[] = [];
    const counted = {
      ...messages,
      insertMany: (writes: Parameters<MessageStore['insertMany']>[0]) => {
        batches.push(writes.length);
        return messages.insertMany(writes);
      },
    };
    const batched = createMessageService({ messages: counted, relay });
    const plain = await Promise.all(
      Array.from({ length: 10 }, (_, n) => batched.post({ data: { n } })),
    );
    expect(plain).toHaveLength(10);
    expect(batches).toEqual([10]);
    batches.length = 0;
    // Two posts racing with one key and different bodies: the batch fails on the key, so each
    // is committed alone; the first wins and the second is told the key was reused.
    const results = await Promise.allSettled([
      batched.post({ data: { n: 10 } }),
      batched.post({ data: { first: true }, idempotencyKey: 'raced' }),
      batched.post({ data: { second: true }, idempotencyKey: 'raced' }),
    ]);
    expect(results.map((result) => result.status)).toEqual(['fulfilled', 'fulfilled', 'rejected']);
    expect(results[2]).toMatchObject({ reason: { code: 'IDEMPOTENCY_KEY_REUSED' } });
    expect(batches).toEqual([3, 1, 1, 1]);
    expect((await messages.list({ limit: 500 })).items).toHaveLength(12);
  });

  it('answers NOT_FOUND for an unknown message', async () => {
    await expect(service.get('missing')).rejects.toMatchObject({ code: 'NOT_FOUND' });
  });
});
