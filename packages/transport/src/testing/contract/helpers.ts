import { randomBytes } from 'node:crypto';
import { expect, onTestFinished } from 'vitest';
import { type CloudEvent, createCloudEvent } from '../../cloud-event.js';
import type { DeliveryContext, EventHandler, Transport } from '../../transport.js';

/** Topics made by {@link uniqueTopic} and not yet cleaned up. */
export const topicsInUse = new Set<string>();

/** A topic name no other test (or test run) uses; remembered for the suite's cleanup. */
export function uniqueTopic(label: string): string {
  const topic = `contract.${label}.${randomBytes(5).toString('hex')}`;
  topicsInUse.add(topic);
  return topic;
}

/** Hands the topics used so far to `cleanup` (if any) and forgets them. */
export async function cleanUpTopics(
  cleanup: ((topics: readonly string[]) => Promise<void>) | undefined,
): Promise<void> {
  const topics = [...topicsInUse];
  topicsInUse.clear();
  if (cleanup !== undefined && topics.length > 0) await cleanup(topics);
}

/** A group name no other test uses. */
export function uniqueGroup(label: string): string {
  return `${label}-${randomBytes(3).toString('hex')}`;
}

/** The payload contract tests publish. */
export interface TestPayload {
  readonly n: number;
  readonly topic?: string;
  readonly key?: string;
}

/** An event carrying `{ n }` (and whatever else is given) as its data. */
export function testEvent(n: number, extra: Omit<TestPayload, 'n'> = {}): CloudEvent<TestPayload> {
  return createCloudEvent({
    type: 'contract.test',
    source: '/playtally/contract',
    data: { n, ...extra },
  });
}

export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/** Polls `condition` every 10 ms; rejects naming `what` if it is still false after `timeoutMs`. */
export async function waitUntil(
  condition: () => boolean,
  timeoutMs: number,
  what: () => string,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline)
      throw new Error(`timed out after ${timeoutMs} ms waiting for ${what()}`);
    await sleep(10);
  }
}

/** One handled delivery. */
export interface Received<T> {
  readonly event: CloudEvent<T>;
  readonly context: DeliveryContext;
}

/** Records what a handler receives. */
export interface Recorder<T> {
  readonly handler: EventHandler<T>;
  readonly received: Received<T>[];
  /** Distinct event ids received. */
  readonly ids: Set<string>;
  /** Waits until `count` distinct events have arrived. */
  waitForDistinct(count: number, timeoutMs: number): Promise<void>;
}

/** A handler that records every delivery, optionally running `inner` first (which may throw). */
export function createRecorder<T = TestPayload>(inner?: EventHandler<T>): Recorder<T> {
  const received: Received<T>[] = [];
  const ids = new Set<string>();
  return {
    received,
    ids,
    async handler(event, context) {
      if (inner !== undefined) await inner(event, context);
      received.push({ event, context });
      ids.add(event.id);
    },
    waitForDistinct(count, timeoutMs) {
      return waitUntil(
        () => ids.size >= count,
        timeoutMs,
        () => `${count} distinct events (got ${ids.size})`,
      );
    },
  };
}

/** Publishes `events` with at most `window` publishes in flight at once. */
export async function publishAll(
  publish: (event: CloudEvent<TestPayload>) => Promise<void>,
  events: readonly CloudEvent<TestPayload>[],
  window = 200,
): Promise<void> {
  for (let start = 0; start < events.length; start += window) {
    await Promise.all(events.slice(start, start + window).map(publish));
  }
}

/** Creates a transport that is closed when the current test finishes, whatever its outcome. */
export async function openTransport(
  create: () => Transport | Promise<Transport>,
): Promise<Transport> {
  const transport = await create();
  onTestFinished(() => transport.close());
  return transport;
}

/**
 * Waits until the broker reports that `group` holds nothing of `topic`: no event waiting, none
 * unacknowledged. Read through `Transport.inspect`, so it proves the acknowledgements reached
 * the broker, which watching for a redelivery cannot (Redis hands a pending entry to another
 * consumer only after its idle time, Kafka only after a rebalance).
 */
export async function expectSettled(
  transport: Transport,
  topic: string,
  group: string,
  timeoutMs: number,
): Promise<void> {
  await expect
    .poll(async () => (await transport.inspect(topic, group))[0], {
      timeout: timeoutMs,
      interval: 50,
    })
    .toMatchObject({ topic, group, ready: 0, inFlight: 0 });
}
