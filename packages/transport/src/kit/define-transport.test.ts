import { describe, expect, it, vi } from 'vitest';
import { type CloudEventParts, createCloudEvent, encodeCloudEvent } from '../cloud-event.js';
import { type Logger, silentLogger } from '../logger.js';
import { defineTransport } from './define-transport.js';
import type { Delivery, DeliverySink, TransportDriver } from './transport-driver.js';

/** A push driver whose broker is a list of sinks, one per open receiver. */
function fakeDriver(overrides: Partial<TransportDriver> = {}) {
  const sinks: DeliverySink<Delivery>[] = [];
  const acked: Delivery[] = [];
  const driver: TransportDriver = {
    name: 'fake',
    capabilities: { orderedByKey: true, survivesBrokerRestart: false, distributed: false },
    async publish() {},
    async ensure() {},
    async receive(_topic, _options, sink) {
      sinks.push(sink);
      return { ack: (delivery) => void acked.push(delivery), close: async () => {} };
    },
    async ping() {},
    async inspect() {
      return [];
    },
    async close() {},
    ...overrides,
  };
  const deliver = (data: unknown, sink = sinks.at(-1)) =>
    sink?.push({
      message: encodeCloudEvent(createCloudEvent({ type: 't', source: '/s', data })),
      key: undefined,
      attempt: 1,
    });
  return { driver, sinks, acked, deliver };
}

describe('defineTransport', () => {
  it('logs a failing dead-letter publish and retries it with the backoff, factor included', async () => {
    const error = vi.fn();
    const logger: Logger = { ...silentLogger, error };
    const attempts: number[] = [];
    const published: CloudEventParts[] = [];
    const { driver, acked, deliver } = fakeDriver({
      logger,
      async publish(_topic, message) {
        attempts.push(performance.now());
        if (attempts.length < 4) throw new Error(`broker refused attempt ${attempts.length}`);
        published.push(message);
      },
    });
    const transport = defineTransport(driver);
    await transport.subscribe(
      'orders',
      async () => {
        throw new Error('no stock');
      },
      { group: 'billing', maxAttempts: 1, backoff: { initialMs: 20, factor: 3, maxMs: 10_000 } },
    );
    deliver({ n: 1 });
    await vi.waitFor(() => expect(acked).toHaveLength(1), { timeout: 5000 });
    expect(published[0]?.attributes.deadletterreason).toBe('no stock');
    expect(error.mock.calls.map(([fields]) => (fields as { err: Error }).err.message)).toEqual([
      'broker refused attempt 1',
      'broker refused attempt 2',
      'broker refused attempt 3',
    ]);
    // Waits of 20, 60 and 180 ms: each at least the backoff with factor 3.
    const waits = attempts.slice(1).map((at, n) => at - (attempts[n] as number));
    expect(waits[1]).toBeGreaterThanOrEqual(55);
    expect(waits[2]).toBeGreaterThanOrEqual(170);
    await transport.close();
  });

  it('opens a new receiver when the adapter reports its receiver lost, and keeps delivering', async () => {
    const { driver, sinks, deliver } = fakeDriver();
    const transport = defineTransport(driver);
    const handled: unknown[] = [];
    await transport.subscribe('t', async (event) => void handled.push(event.data), { group: 'g' });
    deliver(1);
    await vi.waitFor(() => expect(handled).toEqual([1]));
    sinks[0]?.lost(new Error('channel closed by the broker'));
    await vi.waitFor(() => expect(sinks).toHaveLength(2));
    deliver(2, sinks[1]);
    await vi.waitFor(() => expect(handled).toEqual([1, 2]));
    await transport.close();
  });

  it('closes a receiver that opens after subscribe gave up waiting for it', async () => {
    let release: () => void = () => {};
    const closed = vi.fn(async () => {});
    const { driver } = fakeDriver({
      openTimeoutMs: 20,
      async receive() {
        await new Promise<void>((resolve) => {
          release = resolve;
        });
        return { ack() {}, close: closed };
      },
    });
    const transport = defineTransport(driver);
    await expect(transport.subscribe('t', async () => {}, { group: 'g' })).rejects.toMatchObject({
      code: 'TRANSPORT_ERROR',
      message: expect.stringMatching(/no answer within 20 ms/),
    });
    release();
    await vi.waitFor(() => expect(closed).toHaveBeenCalledTimes(1));
    await transport.close();
  });
});
