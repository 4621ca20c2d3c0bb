import { expect, it } from 'vitest';
import { createCloudEvent } from '../../cloud-event.js';
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

/** Publish/subscribe basics: fidelity, volume, many topics, isolation, order, concurrency. */
export function deliveryCases(ctx: ContractContext): void {
  it('delivers an event with its attributes, extensions, data and key intact', async () => {
    const transport = await ctx.open();
    const topic = uniqueTopic('intact');
    const group = uniqueGroup('reader');
    const recorder = createRecorder<unknown>();
    await transport.subscribe(topic, recorder.handler, { group });
    const sent = createCloudEvent({
      type: 'contract.intact',
      source: '/playtally/contract',
      subject: 'songs/42',
      data: { text: 'Grüße, "quoted", 🎵', n: 42, nested: { list: [1, 'two', null, true] } },
      extensions: { tenant: 'acme', traceid: '4bf92f3577b34da6' },
    });
    await transport.publish(topic, sent, { key: 'song-42' });
    await recorder.waitForDistinct(1, ctx.timeoutMs);
    const [first] = recorder.received;
    expect(first?.event).toEqual(sent);
    expect(first?.context).toMatchObject({ topic, group, attempt: 1, key: 'song-42' });
    expect(first?.context.signal.aborted).toBe(false);
  });

  it('carries text and binary data exactly as published', async () => {
    const transport = await ctx.open();
    const topic = uniqueTopic('bytes');
    const recorder = createRecorder<unknown>();
    await transport.subscribe(topic, recorder.handler, { group: uniqueGroup('reader') });
    const text = createCloudEvent({
      type: 'contract.text',
      source: '/playtally/contract',
      datacontenttype: 'text/plain; charset=utf-8',
      data: 'line one\nline two ✓',
    });
    const bytes = new Uint8Array([0, 1, 2, 127, 128, 254, 255]);
    const binary = createCloudEvent({
      type: 'contract.binary',
      source: '/playtally/contract',
      datacontenttype: 'application/octet-stream',
      data: bytes,
    });
    await transport.publish(topic, text);
    await transport.publish(topic, binary);
    await recorder.waitForDistinct(2, ctx.timeoutMs);
    const byType = new Map(recorder.received.map(({ event }) => [event.type, event]));
    expect(byType.get('contract.text')?.data).toBe('line one\nline two ✓');
    const receivedBytes = byType.get('contract.binary')?.data;
    expect(receivedBytes).toBeInstanceOf(Uint8Array);
    expect(Array.from(receivedBytes as Uint8Array)).toEqual(Array.from(bytes));
  });

  it('delivers every event from concurrent publishers to concurrent subscribers', async () => {
    const topic = uniqueTopic('concurrent');
    const group = uniqueGroup('workers');
    const publisher = await ctx.open();
    const consumer = ctx.capabilities.distributed ? await ctx.open() : publisher;
    const recorder = createRecorder();
    for (const transport of [publisher, consumer, consumer]) {
      await transport.subscribe(topic, recorder.handler, { group, concurrency: 10 });
    }
    const events = Array.from({ length: ctx.messageCount }, (_, n) => testEvent(n));
    const publishers = 8;
    await Promise.all(
      Array.from({ length: publishers }, (_, p) =>
        publishAll(
          (event) => publisher.publish(topic, event),
          events.filter((_, n) => n % publishers === p),
          100,
        ),
      ),
    );
    await recorder.waitForDistinct(events.length, ctx.timeoutMs * 3);
    expect(recorder.ids.size).toBe(events.length);
    const duplicates = recorder.received.length - recorder.ids.size;
    if (duplicates > 0)
      console.info(`${topic}: ${duplicates} duplicate deliveries (allowed: at least once)`);
  });

  it('keeps the events of many topics apart', async () => {
    const transport = await ctx.open();
    const topics = Array.from({ length: 10 }, (_, t) => uniqueTopic(`many-${t}`));
    const perTopic = 20;
    const recorders = topics.map(() => createRecorder());
    await Promise.all(
      topics.map((topic, t) =>
        transport.subscribe(topic, recorders[t]!.handler, { group: 'many', concurrency: 4 }),
      ),
    );
    await Promise.all(
      topics.map((topic) =>
        publishAll(
          (event) => transport.publish(topic, event),
          Array.from({ length: perTopic }, (_, n) => testEvent(n, { topic })),
        ),
      ),
    );
    for (const [t, recorder] of recorders.entries()) {
      await recorder.waitForDistinct(perTopic, ctx.timeoutMs);
      expect(new Set(recorder.received.map(({ event }) => event.data.topic))).toEqual(
        new Set([topics[t]]),
      );
      expect(new Set(recorder.received.map(({ context }) => context.topic))).toEqual(
        new Set([topics[t]]),
      );
    }
  });

  it('does not deliver an event to subscribers of another topic', async () => {
    const transport = await ctx.open();
    const [published, other] = [uniqueTopic('isolated'), uniqueTopic('bystander')];
    const publishedRecorder = createRecorder();
    const otherRecorder = createRecorder();
    await transport.subscribe(published, publishedRecorder.handler, { group: 'isolation' });
    await transport.subscribe(other, otherRecorder.handler, { group: 'isolation' });
    await transport.subscribe(other, otherRecorder.handler);
    await publishAll(
      (event) => transport.publish(published, event),
      [testEvent(1), testEvent(2), testEvent(3)],
    );
    await publishedRecorder.waitForDistinct(3, ctx.timeoutMs);
    await sleep(ctx.quietMs);
    expect(otherRecorder.received).toEqual([]);
  });

  it.skipIf(!ctx.capabilities.orderedByKey)(
    'hands events of one key to a group in publish order (concurrency 1)',
    async () => {
      const transport = await ctx.open();
      const topic = uniqueTopic('ordered');
      const recorder = createRecorder();
      await transport.subscribe(topic, recorder.handler, { group: 'ordered', concurrency: 1 });
      const keys = ['alpha', 'beta', 'gamma', 'delta'];
      const perKey = 40;
      for (let n = 0; n < perKey * keys.length; n += 1) {
        const key = keys[n % keys.length] as string;
        await transport.publish(topic, testEvent(n, { key }), { key });
      }
      await recorder.waitForDistinct(perKey * keys.length, ctx.timeoutMs);
      for (const key of keys) {
        const sequence = recorder.received
          .filter(({ event }) => event.data.key === key)
          .map(({ event }) => event.data.n);
        expect(sequence).toEqual([...sequence].sort((a, b) => a - b));
        expect(sequence).toHaveLength(perKey);
      }
    },
  );

  it('runs no more handlers at once than the subscription allows', async () => {
    const transport = await ctx.open();
    const topic = uniqueTopic('concurrency');
    let active = 0;
    let mostActive = 0;
    const recorder = createRecorder<TestPayload>(async () => {
      active += 1;
      mostActive = Math.max(mostActive, active);
      await sleep(40);
      active -= 1;
    });
    await transport.subscribe(topic, recorder.handler, { group: 'bounded', concurrency: 4 });
    await publishAll(
      (event) => transport.publish(topic, event),
      Array.from({ length: 24 }, (_, n) => testEvent(n)),
    );
    await recorder.waitForDistinct(24, ctx.timeoutMs);
    await waitUntil(
      () => active === 0,
      ctx.timeoutMs,
      () => 'handlers to finish',
    );
    expect(mostActive).toBeLessThanOrEqual(4);
    expect(mostActive).toBeGreaterThanOrEqual(2);
  });
}
