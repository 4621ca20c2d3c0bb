import {
  createCloudEvent,
  createMemoryTransport,
  type Transport,
  UnrecoverableError,
} from '@playtally/transport';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { ensureTopics, GROUPS, TOPICS } from '../events/topics.js';
import { createMemoryDeadLetterStore } from '../stores/memory-dead-letter-store.js';
import { createDeadLetterRecorder } from './dead-letter-recorder.js';
import { createDeadLetterService } from './dead-letter-service.js';

describe('dead letters: recorded, replayed, discarded', () => {
  let transport: Transport;
  beforeEach(() => {
    transport = createMemoryTransport();
  });
  afterEach(async () => {
    await transport.close();
  });

  it('records a refused message with its reason, replays it once to a fixed handler', async () => {
    await ensureTopics(transport);
    const store = createMemoryDeadLetterStore();
    const recorder = createDeadLetterRecorder({ transport, store });
    const service = createDeadLetterService({ store, transport });
    await recorder.start();
    let fixed = false;
    const consumed: unknown[] = [];
    await transport.subscribe(
      TOPICS.messages,
      async (event) => {
        if (!fixed) throw new UnrecoverableError('amount must not be negative');
        consumed.push(event.data);
      },
      { group: GROUPS.consumers, maxAttempts: 1 },
    );
    const event = createCloudEvent({
      type: 'order.placed',
      source: '/shop',
      subject: 'm-1',
      data: { amount: -1 },
    });
    await transport.publish(TOPICS.messages, event);

    await expect.poll(async () => (await store.list()).items.length).toBe(1);
    const [letter] = (await service.list({ topic: TOPICS.messages })).items;
    expect(letter).toMatchObject({
      topic: TOPICS.messages,
      group: GROUPS.consumers,
      reason: 'amount must not be negative',
      attempts: 1,
      eventId: event.id,
      eventType: 'order.placed',
      status: 'pending',
    });
    expect(letter?.event.attributes).not.toHaveProperty('deadletterreason');
    expect((await service.list({ topic: TOPICS.jobs })).items).toEqual([]);

    fixed = true;
    const replayed = await service.replay(letter!.id);
    expect(replayed.status).toBe('replayed');
    await expect.poll(() => consumed).toEqual([{ amount: -1 }]);
    await expect(service.replay(letter!.id)).rejects.toMatchObject({ code: 'CONFLICT' });

    await service.discard(letter!.id);
    await expect(service.get(letter!.id)).rejects.toMatchObject({ code: 'NOT_FOUND' });
    await expect(service.discard(letter!.id)).rejects.toMatchObject({ code: 'NOT_FOUND' });
    await recorder.close();
  });

  it('leaves a dead letter pending when the replay cannot be published', async () => {
    const store = createMemoryDeadLetterStore();
    const letter = await store.record({
      id: 'dl-1',
      topic: TOPICS.messages,
      group: GROUPS.consumers,
      reason: 'no',
      attempts: 5,
      eventId: 'e-1',
      eventType: 't',
      event: {
        attributes: { id: 'e-1', source: '/s', type: 't', specversion: '1.0' },
        bodyBase64: Buffer.from('{}').toString('base64'),
      },
      deadLetteredAt: new Date().toISOString(),
    });
    await transport.close();
    const service = createDeadLetterService({ store, transport });
    await expect(service.replay(letter.id)).rejects.toMatchObject({ code: 'TRANSPORT_CLOSED' });
    expect((await store.get(letter.id))?.status).toBe('pending');
  });
});
