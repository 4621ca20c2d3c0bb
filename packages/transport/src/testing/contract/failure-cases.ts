import { expect, it } from 'vitest';
import { DEAD_LETTER_ATTRIBUTES, deadLetterTopic } from '../../transport.js';
import { UnrecoverableError } from '../../unrecoverable-error.js';
import {
  createRecorder,
  expectSettled,
  testEvent,
  uniqueGroup,
  uniqueTopic,
  waitUntil,
} from './helpers.js';
import type { ContractContext } from './options.js';

const fastBackoff = { initialMs: 10, maxMs: 50, factor: 2 };

/** Redelivery after handler errors, dead letters, undecodable messages. */
export function failureCases(ctx: ContractContext): void {
  it('delivers an event again after its handler fails, counting the attempts', async () => {
    const transport = await ctx.open();
    const topic = uniqueTopic('redelivery');
    const attempts: number[] = [];
    const recorder = createRecorder(async (_event, context) => {
      attempts.push(context.attempt);
      if (context.attempt < 3) throw new Error(`failing attempt ${context.attempt}`);
    });
    await transport.subscribe(topic, recorder.handler, {
      group: 'flaky',
      maxAttempts: 5,
      backoff: fastBackoff,
    });
    const sent = testEvent(1);
    await transport.publish(topic, sent);
    await recorder.waitForDistinct(1, ctx.timeoutMs);
    expect(attempts).toEqual([1, 2, 3]);
    expect(recorder.received[0]?.event).toEqual(sent);
  });

  it('keeps consuming other events while one is being retried', async () => {
    const transport = await ctx.open();
    const topic = uniqueTopic('continue');
    const recorder = createRecorder(async (event, context) => {
      if (event.data.n % 2 === 1 && context.attempt === 1)
        throw new Error(`odd event ${event.data.n} fails once`);
    });
    await transport.subscribe(topic, recorder.handler, {
      group: 'resilient',
      concurrency: 4,
      backoff: fastBackoff,
    });
    const events = Array.from({ length: 20 }, (_, n) => testEvent(n));
    for (const event of events) await transport.publish(topic, event);
    await recorder.waitForDistinct(events.length, ctx.timeoutMs);
    const odd = recorder.received.filter(({ event }) => event.data.n % 2 === 1);
    expect(odd.every(({ context }) => context.attempt >= 2)).toBe(true);
  });

  it('dead-letters an event after maxAttempts, with the last error as the reason', async () => {
    const transport = await ctx.open();
    const topic = uniqueTopic('doomed');
    const group = uniqueGroup('doomed');
    await transport.ensure(deadLetterTopic(topic), ['inspector']);
    let calls = 0;
    await transport.subscribe(
      topic,
      async (_event, context) => {
        calls += 1;
        throw new Error(`attempt ${context.attempt} failed`);
      },
      { group, maxAttempts: 3, backoff: fastBackoff },
    );
    const sent = testEvent(7);
    await transport.publish(topic, sent);
    const deadLetters = createRecorder();
    await transport.subscribe(deadLetterTopic(topic), deadLetters.handler, { group: 'inspector' });
    await deadLetters.waitForDistinct(1, ctx.timeoutMs);
    const deadLetter = deadLetters.received[0]!.event;
    expect(deadLetter).toMatchObject({
      id: sent.id,
      type: sent.type,
      source: sent.source,
      data: sent.data,
    });
    expect(deadLetter.extensions).toMatchObject({
      [DEAD_LETTER_ATTRIBUTES.reason]: 'attempt 3 failed',
      [DEAD_LETTER_ATTRIBUTES.group]: group,
      [DEAD_LETTER_ATTRIBUTES.attempts]: '3',
    });
    await expectSettled(transport, topic, group, ctx.timeoutMs);
    expect(calls).toBe(3);
  });

  it('dead-letters an event at once when its handler throws an UnrecoverableError', async () => {
    const transport = await ctx.open();
    const topic = uniqueTopic('unrecoverable');
    const group = uniqueGroup('strict');
    await transport.ensure(deadLetterTopic(topic), ['inspector']);
    const attempts: number[] = [];
    await transport.subscribe(
      topic,
      async (_event, context) => {
        attempts.push(context.attempt);
        throw new UnrecoverableError('this order can never be billed');
      },
      { group, maxAttempts: 5, backoff: fastBackoff },
    );
    const sent = testEvent(3);
    await transport.publish(topic, sent);
    const deadLetters = createRecorder();
    await transport.subscribe(deadLetterTopic(topic), deadLetters.handler, { group: 'inspector' });
    await deadLetters.waitForDistinct(1, ctx.timeoutMs);
    expect(deadLetters.received[0]!.event.id).toBe(sent.id);
    expect(deadLetters.received[0]!.event.extensions).toMatchObject({
      [DEAD_LETTER_ATTRIBUTES.reason]: 'this order can never be billed',
      [DEAD_LETTER_ATTRIBUTES.attempts]: '1',
    });
    await expectSettled(transport, topic, group, ctx.timeoutMs);
    expect(attempts).toEqual([1]);
  });

  it.skipIf(ctx.options.publishRaw === undefined)(
    'dead-letters messages that are not CloudEvents or not valid JSON instead of handing them over',
    async () => {
      const publishRaw = ctx.options.publishRaw!;
      const transport = await ctx.open();
      const topic = uniqueTopic('garbage');
      await transport.ensure(deadLetterTopic(topic), ['inspector']);
      const recorder = createRecorder();
      await transport.subscribe(topic, recorder.handler, { group: 'strict' });
      const encoder = new TextEncoder();
      await publishRaw(topic, { note: 'no id, no type' }, encoder.encode('{"hello":"world"}'));
      await publishRaw(
        topic,
        {
          id: 'broken-json-1',
          source: '/playtally/contract',
          type: 'contract.broken',
          specversion: '1.0',
          datacontenttype: 'application/json',
        },
        encoder.encode('{"unterminated": '),
      );
      const good = testEvent(1);
      await transport.publish(topic, good);
      await recorder.waitForDistinct(1, ctx.timeoutMs);
      const deadLetters = createRecorder();
      await transport.subscribe(deadLetterTopic(topic), deadLetters.handler, {
        group: 'inspector',
      });
      await deadLetters.waitForDistinct(2, ctx.timeoutMs);
      const reasons = deadLetters.received.map(
        ({ event }) => event.extensions?.[DEAD_LETTER_ATTRIBUTES.reason],
      );
      expect(reasons).toEqual(
        expect.arrayContaining([
          expect.stringMatching(/not a CloudEvent/),
          expect.stringMatching(/not valid JSON/),
        ]),
      );
      const broken = deadLetters.received.find(({ event }) => event.id === 'broken-json-1')?.event;
      expect(new TextDecoder().decode(broken?.data as unknown as Uint8Array)).toBe(
        '{"unterminated": ',
      );
      await expectSettled(transport, topic, 'strict', ctx.timeoutMs);
      expect(recorder.received.map(({ event }) => event.id)).toEqual([good.id]);
    },
  );

  it('waits out the backoff before delivering again', async () => {
    const transport = await ctx.open();
    const topic = uniqueTopic('backoff');
    const times: number[] = [];
    const recorder = createRecorder(async (_event, context) => {
      times.push(Date.now());
      if (context.attempt === 1) throw new Error('first attempt fails');
    });
    await transport.subscribe(topic, recorder.handler, {
      group: 'patient',
      backoff: { initialMs: 300, maxMs: 300, factor: 1 },
    });
    await transport.publish(topic, testEvent(1));
    await recorder.waitForDistinct(1, ctx.timeoutMs);
    await waitUntil(
      () => times.length >= 2,
      ctx.timeoutMs,
      () => 'the redelivery',
    );
    expect(times[1]! - times[0]!).toBeGreaterThanOrEqual(250);
  });
}
