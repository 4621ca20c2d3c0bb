import { expect, it } from 'vitest';
import type { QueueStats, Transport } from '../../transport.js';
import { testEvent, uniqueGroup, uniqueTopic, waitUntil } from './helpers.js';
import type { ContractContext } from './options.js';

/** Polls `transport.inspect(topic, group)` until the group's figures match `expected`. */
async function expectStats(
  transport: Transport,
  topic: string,
  group: string,
  expected: Omit<QueueStats, 'topic' | 'group'>,
  timeoutMs: number,
): Promise<void> {
  await expect
    .poll(async () => await transport.inspect(topic, group), { timeout: timeoutMs, interval: 50 })
    .toEqual([{ topic, group, ...expected }]);
}

/** `Transport.inspect`: backlog, in-flight, consumer and dead-letter counts read from the broker. */
export function inspectionCases(ctx: ContractContext): void {
  it('reports backlog and in-flight counts after a known sequence of publishes and acks', async () => {
    const transport = await ctx.open();
    const topic = uniqueTopic('inspected');
    const group = uniqueGroup('counted');
    await transport.ensure(topic, [group]);
    expect(await transport.inspect(topic, 'never-ensured')).toEqual([]);
    for (let n = 0; n < 5; n += 1) await transport.publish(topic, testEvent(n));
    await expectStats(
      transport,
      topic,
      group,
      { ready: 5, inFlight: 0, consumers: 0, deadLetters: 0 },
      ctx.timeoutMs,
    );

    // Five handlers take the five events and hold them.
    let release: () => void = () => {};
    const gate = new Promise<void>((resolve) => {
      release = resolve;
    });
    let started = 0;
    const subscription = await transport.subscribe<{ n: number }>(
      topic,
      async (event) => {
        started += 1;
        await gate;
        if (event.data.n === 0) throw new Error('event 0 is refused');
      },
      { group, concurrency: 5, maxAttempts: 1 },
    );
    await waitUntil(
      () => started === 5,
      ctx.timeoutMs,
      () => `five handlers to start (${started})`,
    );
    await expectStats(
      transport,
      topic,
      group,
      { ready: 0, inFlight: 5, consumers: 1, deadLetters: 0 },
      ctx.timeoutMs,
    );

    // Four are acknowledged, one is dead-lettered.
    release();
    await expectStats(
      transport,
      topic,
      group,
      { ready: 0, inFlight: 0, consumers: 1, deadLetters: 1 },
      ctx.timeoutMs,
    );

    // Published while nobody consumes: waiting again.
    await subscription.close();
    for (let n = 5; n < 7; n += 1) await transport.publish(topic, testEvent(n));
    await expectStats(
      transport,
      topic,
      group,
      { ready: 2, inFlight: 0, consumers: 0, deadLetters: 1 },
      ctx.timeoutMs,
    );
  });

  it('lists every durable group of a topic when no group is named', async () => {
    const transport = await ctx.open();
    const topic = uniqueTopic('inspected-groups');
    await transport.ensure(topic, ['first', 'second']);
    await transport.publish(topic, testEvent(1));
    await expect
      .poll(
        async () =>
          (await transport.inspect(topic)).map(({ group, ready }) => `${group}:${ready}`).sort(),
        {
          timeout: ctx.timeoutMs,
          interval: 50,
        },
      )
      .toEqual(['first:1', 'second:1']);
  });
}
