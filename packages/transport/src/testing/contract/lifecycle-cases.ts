import { isPlaytallyError } from '@playtally/core';
import { expect, it } from 'vitest';
import { expectNoLossAcrossRestart } from './broker-restart.js';
import {
  createRecorder,
  publishAll,
  sleep,
  type TestPayload,
  testEvent,
  uniqueGroup,
  uniqueTopic,
  waitUntil,
} from './helpers.js';
import type { ContractContext } from './options.js';

/** Capabilities, ping, close semantics, subscribe/close cycles. */
export function lifecycleCases(ctx: ContractContext): void {
  it('declares the capabilities the suite was told about', async () => {
    const transport = await ctx.open();
    expect(transport.name).toMatch(/^[a-z0-9-]+$/);
    expect(transport.capabilities).toEqual(ctx.capabilities);
  });

  it('answers ping while open and refuses work with TRANSPORT_CLOSED once closed', async () => {
    const transport = await ctx.open();
    await expect(transport.ping()).resolves.toBeUndefined();
    await transport.close();
    const topic = uniqueTopic('closed');
    const closed = (error: unknown) => isPlaytallyError(error, 'TRANSPORT_CLOSED');
    await expect(transport.publish(topic, testEvent(1)).catch((e) => closed(e))).resolves.toBe(
      true,
    );
    await expect(
      transport
        .subscribe(topic, async () => {}, { group: 'late' })
        .then(() => false)
        .catch((e) => closed(e)),
    ).resolves.toBe(true);
  });

  it('resolves close called concurrently and repeatedly, on subscriptions and the transport', async () => {
    const transport = await ctx.open();
    const topic = uniqueTopic('close');
    const subscriptions = await Promise.all([
      transport.subscribe(topic, async () => {}, { group: 'a' }),
      transport.subscribe(topic, async () => {}, { group: 'b' }),
      transport.subscribe(topic, async () => {}),
    ]);
    await Promise.all([
      ...subscriptions.flatMap((subscription) => [subscription.close(), subscription.close()]),
      transport.close(),
      transport.close(),
    ]);
    await expect(transport.close()).resolves.toBeUndefined();
    await expect(subscriptions[0]!.close()).resolves.toBeUndefined();
  });

  it('closes a subscription that was still opening when the transport closed', async () => {
    const topic = uniqueTopic('opening');
    const group = uniqueGroup('late');
    const transport = await ctx.open();
    await transport.ensure(topic, [group]);
    const opening = transport
      .subscribe(topic, async () => {}, { group })
      .then(() => 'subscribed')
      .catch((error: unknown) => (isPlaytallyError(error, 'TRANSPORT_CLOSED') ? 'closed' : error));
    await transport.close();
    expect(await opening).toBe('closed');
    if (!ctx.capabilities.distributed) return;
    // Read from the broker by another client: no consumer was left reading for the group.
    const observer = await ctx.open();
    await expect
      .poll(async () => (await observer.inspect(topic, group))[0]?.consumers, {
        timeout: ctx.timeoutMs,
        interval: 100,
      })
      .toBe(0);
  });

  it('loses nothing across repeated subscribe and close cycles of a group', async () => {
    const transport = await ctx.open();
    const topic = uniqueTopic('cycles');
    const group = uniqueGroup('cycling');
    await transport.ensure(topic, [group]);
    const events = Array.from({ length: 200 }, (_, n) => testEvent(n));
    await publishAll((event) => transport.publish(topic, event), events);
    const recorder = createRecorder(() => sleep(5));
    let cycles = 0;
    while (recorder.ids.size < events.length && cycles < 40) {
      cycles += 1;
      const target = Math.min(events.length, recorder.ids.size + 40);
      const subscription = await transport.subscribe(topic, recorder.handler, {
        group,
        concurrency: 5,
      });
      await recorder.waitForDistinct(target, ctx.timeoutMs);
      await subscription.close();
    }
    expect(recorder.ids).toEqual(new Set(events.map((event) => event.id)));
    expect(cycles).toBeGreaterThan(1);
  });

  it('lets in-flight handlers finish when a subscription closes, and acknowledges their events', async () => {
    const transport = await ctx.open();
    const topic = uniqueTopic('graceful');
    const group = uniqueGroup('graceful');
    const finished: number[] = [];
    let started = 0;
    const subscription = await transport.subscribe<TestPayload>(
      topic,
      async (event) => {
        started += 1;
        await sleep(300);
        finished.push(event.data.n);
      },
      { group, concurrency: 2 },
    );
    await transport.publish(topic, testEvent(1));
    await transport.publish(topic, testEvent(2));
    await waitUntil(
      () => started === 2,
      ctx.timeoutMs,
      () => `both handlers to start (started ${started})`,
    );
    await subscription.close();
    expect(finished.sort()).toEqual([1, 2]);
    // Read from the broker: nothing waits for the group and nothing is held unacknowledged.
    expect(await transport.inspect(topic, group)).toEqual([
      expect.objectContaining({ topic, group, ready: 0, inFlight: 0, consumers: 0 }),
    ]);
  });

  it('lets in-flight handlers finish when the transport closes', async () => {
    const transport = await ctx.open();
    const topic = uniqueTopic('graceful-transport');
    let finished = false;
    let started = false;
    await transport.subscribe(
      topic,
      async () => {
        started = true;
        await sleep(300);
        finished = true;
      },
      { group: 'graceful' },
    );
    await transport.publish(topic, testEvent(1));
    await waitUntil(
      () => started,
      ctx.timeoutMs,
      () => 'the handler to start',
    );
    await transport.close();
    expect(finished).toBe(true);
  });

  it.skipIf(ctx.options.restartBroker === undefined || !ctx.capabilities.survivesBrokerRestart)(
    'loses nothing across a broker restart',
    { timeout: 180_000 },
    () =>
      expectNoLossAcrossRestart('contract', {
        createTransport: ctx.options.createTransport,
        restartBroker: ctx.options.restartBroker!,
        messageCount: 2000,
        publishForMs: 5000,
      }),
  );
}
