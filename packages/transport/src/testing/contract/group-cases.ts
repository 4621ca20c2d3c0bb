import { expect, it } from 'vitest';
import {
  createRecorder,
  publishAll,
  sleep,
  testEvent,
  uniqueGroup,
  uniqueTopic,
} from './helpers.js';
import type { ContractContext } from './options.js';

/** Consumer groups (competing within, fan-out across), ensure(), ephemeral subscriptions. */
export function groupCases(ctx: ContractContext): void {
  it('shares the events of one group among its subscribers', async () => {
    const topic = uniqueTopic('competing');
    const group = uniqueGroup('workers');
    const first = await ctx.open();
    const second = ctx.capabilities.distributed ? await ctx.open() : first;
    const slowly = async () => sleep(5);
    const [a, b] = [createRecorder(slowly), createRecorder(slowly)];
    await first.subscribe(topic, a.handler, { group });
    await second.subscribe(topic, b.handler, { group });
    const count = 100;
    await publishAll(
      (event) => first.publish(topic, event, { key: `key-${event.data.n}` }),
      Array.from({ length: count }, (_, n) => testEvent(n)),
    );
    const all = new Set<string>();
    await expect
      .poll(
        () => {
          for (const id of [...a.ids, ...b.ids]) all.add(id);
          return all.size;
        },
        { timeout: ctx.timeoutMs, interval: 20 },
      )
      .toBe(count);
    expect(a.ids.size).toBeGreaterThan(0);
    expect(b.ids.size).toBeGreaterThan(0);
    expect(a.ids.size).toBeLessThan(count);
    expect(b.ids.size).toBeLessThan(count);
  });

  it('gives every group every event', async () => {
    const transport = await ctx.open();
    const topic = uniqueTopic('fan-out');
    const recorders = [createRecorder(), createRecorder(), createRecorder()];
    await Promise.all(
      recorders.map((recorder, g) =>
        transport.subscribe(topic, recorder.handler, { group: `group-${g}`, concurrency: 5 }),
      ),
    );
    const events = Array.from({ length: 50 }, (_, n) => testEvent(n));
    await publishAll((event) => transport.publish(topic, event), events);
    for (const recorder of recorders) {
      await recorder.waitForDistinct(events.length, ctx.timeoutMs);
      expect(recorder.ids).toEqual(new Set(events.map((event) => event.id)));
    }
  });

  it('keeps events for a group made with ensure() until it subscribes', async () => {
    const transport = await ctx.open();
    const topic = uniqueTopic('ensured');
    await transport.ensure(topic, ['early', 'late']);
    await transport.ensure(topic, ['late']);
    const events = Array.from({ length: 10 }, (_, n) => testEvent(n));
    await publishAll((event) => transport.publish(topic, event), events);
    const late = createRecorder();
    await transport.subscribe(topic, late.handler, { group: 'late' });
    await late.waitForDistinct(events.length, ctx.timeoutMs);
    expect(late.ids).toEqual(new Set(events.map((event) => event.id)));
  });

  it('delivers to ephemeral subscriptions only what is published after they start, to each of them', async () => {
    const transport = await ctx.open();
    const topic = uniqueTopic('ephemeral');
    await transport.ensure(topic, []);
    const before = testEvent(0);
    await transport.publish(topic, before);
    const [a, b] = [createRecorder(), createRecorder()];
    await transport.subscribe(topic, a.handler);
    await transport.subscribe(topic, b.handler);
    const after = [testEvent(1), testEvent(2), testEvent(3)];
    await publishAll((event) => transport.publish(topic, event), after);
    for (const recorder of [a, b]) {
      await recorder.waitForDistinct(after.length, ctx.timeoutMs);
      await sleep(ctx.quietMs);
      expect(recorder.ids).toEqual(new Set(after.map((event) => event.id)));
      expect(recorder.received.every(({ context }) => context.group === undefined)).toBe(true);
    }
  });

  it.skipIf(ctx.options.inspect === undefined)(
    'leaves nothing behind on the broker when an ephemeral subscription closes',
    async () => {
      const inspect = ctx.options.inspect!;
      const transport = await ctx.open();
      const topic = uniqueTopic('leftovers');
      await transport.ensure(topic, ['keeper']);
      await transport.publish(topic, testEvent(0));
      const before = await inspect(topic);
      expect(before.some((resource) => resource.includes('keeper'))).toBe(true);
      const recorder = createRecorder();
      const subscription = await transport.subscribe(topic, recorder.handler);
      await transport.publish(topic, testEvent(1));
      await recorder.waitForDistinct(1, ctx.timeoutMs);
      await subscription.close();
      expect([...(await inspect(topic))].sort()).toEqual([...before].sort());
    },
  );
}
