import { describe, expect, it, vi } from 'vitest';
import { createCloudEvent } from '../cloud-event.js';
import { describeTransportContract } from '../testing/index.js';
import { deadLetterTopic } from '../transport.js';
import { createMemoryTransport, type MemoryTransport } from './memory-transport.js';

let latest: MemoryTransport | undefined;

describeTransportContract('memory', {
  createTransport: () => {
    latest = createMemoryTransport();
    return latest;
  },
  capabilities: { orderedByKey: true, survivesBrokerRestart: false, distributed: false },
  publishRaw: (topic, attributes, body) => latest!.publishRaw(topic, attributes, body),
  inspect: async (topic) => (await latest!.inspect(topic)).map(({ group }) => `group:${group}`),
});

describe('memory transport', () => {
  it('hands unfinished events back and aborts their handlers when the close timeout runs out', async () => {
    const transport = createMemoryTransport({ closeTimeoutMs: 50 });
    const signals: AbortSignal[] = [];
    const subscription = await transport.subscribe(
      'stuck',
      async (_event, context) => {
        signals.push(context.signal);
        await new Promise(() => {});
      },
      { group: 'workers' },
    );
    const event = createCloudEvent({ type: 't', source: '/s', data: 1 });
    await transport.publish('stuck', event);
    await vi.waitFor(() => expect(signals).toHaveLength(1));
    await subscription.close();
    expect(signals[0]?.aborted).toBe(true);
    const again: { id: string; attempt: number }[] = [];
    await transport.subscribe(
      'stuck',
      async (e, context) => void again.push({ id: e.id, attempt: context.attempt }),
      {
        group: 'workers',
      },
    );
    await vi.waitFor(() => expect(again).toEqual([{ id: event.id, attempt: 2 }]));
    await transport.close();
  });

  it("keeps a group's dead letters for that group without any setup", async () => {
    const transport = createMemoryTransport();
    await transport.subscribe(
      'orders',
      async () => {
        throw new Error('no stock');
      },
      { group: 'billing', maxAttempts: 1 },
    );
    await transport.publish(
      'orders',
      createCloudEvent({ type: 'order.placed', source: '/shop', data: { id: 1 } }),
    );
    await vi.waitFor(async () =>
      expect(await transport.inspect('orders', 'billing')).toEqual([
        expect.objectContaining({ ready: 0, inFlight: 0, deadLetters: 1 }),
      ]),
    );
    const reasons: (string | undefined)[] = [];
    await transport.subscribe(
      deadLetterTopic('orders'),
      async (event) => void reasons.push(event.extensions?.deadletterreason),
      { group: 'billing' },
    );
    await vi.waitFor(() => expect(reasons).toEqual(['no stock']));
    await transport.close();
  });

  it('rejects nonsensical subscribe options', async () => {
    const transport = createMemoryTransport();
    await expect(
      transport.subscribe('t', async () => {}, { concurrency: 0 }),
    ).rejects.toMatchObject({
      code: 'INVALID_INPUT',
    });
    await expect(transport.subscribe('t', async () => {}, { group: '' })).rejects.toMatchObject({
      code: 'INVALID_INPUT',
    });
    await transport.close();
  });
});
