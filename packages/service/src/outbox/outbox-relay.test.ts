import { type CloudEvent, createCloudEvent, createMemoryTransport } from '@playtally/transport';
import { afterEach, describe, expect, it } from 'vitest';
import type { OutgoingEvent } from '../domain/outbox.js';
import { createMemoryMessageStore } from '../stores/memory-message-store.js';
import { createOutboxRelay, type OutboxRelay } from './outbox-relay.js';

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
const transport = createMemoryTransport({ closeTimeoutMs: 200 });
const relays: OutboxRelay[] = [];
afterEach(async () => {
  for (const relay of relays.splice(0)) await relay.close();
});

async function received(topic: string): Promise<CloudEvent[]> {
  const seen: CloudEvent[] = [];
  await transport.subscribe(topic, async (event) => {
    seen.push(event);
  });
  return seen;
}

function message(n: number) {
  return {
    id: `m${n}-${Math.random()}`,
    type: 'message',
    source: '/test',
    data: { n },
    receivedAt: new Date().toISOString(),
  };
}

const outgoing = (topic: string, n: number): OutgoingEvent => ({
  topic,
  event: createCloudEvent({ type: 'test', source: '/test', data: { n } }),
});

describe('the outbox relay', () => {
  it('publishes events its process committed straight away, and removes them', async () => {
    const topic = `relay-${Math.random()}`;
    const seen = await received(topic);
    const messages = createMemoryMessageStore();
    const relay = createOutboxRelay({ outbox: messages.outbox, transport, pollIntervalMs: 10_000 });
    relays.push(relay);
    relay.start();
    const events = relay.claimAhead([outgoing(topic, 1), outgoing(topic, 2)]);
    await messages.insert(message(1), { outbox: events });
    relay.publish(events);
    for (let n = 0; n < 100 && seen.length < 2; n += 1) await sleep(5);
    expect(seen.map((event) => event.data)).toEqual([{ n: 1 }, { n: 2 }]);
    await sleep(20);
    expect(await messages.outbox.pending()).toBe(0);
  });

  it('leaves events of a writer that died to another relay once their lease ends', async () => {
    const topic = `relay-${Math.random()}`;
    const seen = await received(topic);
    const messages = createMemoryMessageStore();
    const dead = createOutboxRelay({ outbox: messages.outbox, transport, leaseMs: 300 });
    const events = dead.claimAhead([outgoing(topic, 7)]);
    await messages.insert(message(7), { outbox: events });
    // The writer's process dies here, before publishing.
    const other = createOutboxRelay({ outbox: messages.outbox, transport, pollIntervalMs: 20 });
    relays.push(other);
    other.start();
    await sleep(100);
    expect(seen).toEqual([]);
    for (let n = 0; n < 200 && seen.length === 0; n += 1) await sleep(10);
    expect(seen.map((event) => event.data)).toEqual([{ n: 7 }]);
  });

  it('keeps failed events in the outbox and publishes them once the broker takes them', async () => {
    const topic = `relay-${Math.random()}`;
    const messages = createMemoryMessageStore();
    let down = true;
    const flaky = {
      ...transport,
      publish: async (...args: Parameters<typeof transport.publish>) => {
        if (down) throw new Error('broker away');
        return transport.publish(...args);
      },
    };
    const seen = await received(topic);
    const relay = createOutboxRelay({
      outbox: messages.outbox,
      transport: flaky,
      pollIntervalMs: 20,
    });
    relays.push(relay);
    relay.start();
    const events = relay.claimAhead([outgoing(topic, 3)]);
    await messages.insert(message(3), { outbox: events });
    relay.publish(events);
    await sleep(100);
    expect(await messages.outbox.pending()).toBe(1);
    down = false;
    await relay.drain(10_000);
    expect(seen.map((event) => event.data)).toEqual([{ n: 3 }]);
  });
});
