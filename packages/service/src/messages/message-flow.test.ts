import type { CloudEvent } from '@playtally/transport';
import { createMemoryTransport, type MemoryTransport } from '@playtally/transport';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { z } from 'zod';
import type { StoredMessage } from '../domain/message.js';
import { ensureTopics, TOPICS } from '../events/topics.js';
import type { MessageStore } from '../ports/message-store.js';
import { createMemoryMessageStore } from '../stores/memory-message-store.js';
import { createMessageConsumer, type MessageConsumerOptions } from './message-consumer.js';
import { createMessageSchemaRegistry } from './message-schemas.js';
import { createMessageService, type MessageService } from './message-service.js';

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

let transport: MemoryTransport;
let messages: MessageStore;
let service: MessageService;
let events: CloudEvent[];
let closers: (() => Promise<void>)[];

beforeEach(async () => {
  transport = createMemoryTransport({ closeTimeoutMs: 500 });
  messages = createMemoryMessageStore();
  service = createMessageService({ messages, transport });
  events = [];
  closers = [];
  await transport.subscribe(TOPICS.events, async (event) => {
    events.push(event);
  });
});

afterEach(async () => {
  for (const close of closers) await close();
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
    const typed = createMessageService({ messages, transport, schemas });
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

  it('answers NOT_FOUND for an unknown message', async () => {
    await expect(service.get('missing')).rejects.toMatchObject({ code: 'NOT_FOUND' });
  });
});
