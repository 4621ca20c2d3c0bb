import { afterAll, describe, expect, it } from 'vitest';
import type { Transport } from '../../transport.js';
import {
  cleanUpTopics,
  createRecorder,
  openTransport,
  sleep,
  testEvent,
  uniqueGroup,
  uniqueTopic,
} from './helpers.js';
import type { TransportContractOptions } from './options.js';

/** How {@link describeBrokerRestartContract} restarts the broker under load. */
export interface BrokerRestartContractOptions {
  createTransport: () => Transport | Promise<Transport>;
  /**
   * Stops the broker and starts it again, keeping its data. Must leave the broker running even
   * when it fails (restart in a `finally`).
   */
  restartBroker: () => Promise<void>;
  /** Deletes what the test left on the broker for `topics` (see {@link TransportContractOptions}). */
  cleanup?: (topics: readonly string[]) => Promise<void>;
  /** Events published across the restart. @default 10000 */
  messageCount?: number;
  /**
   * Publishing is spread over at least this long, so that it is still going on while the broker
   * is down. @default 10000
   */
  publishForMs?: number;
  /** Longest the whole run may take, in milliseconds. @default 120000 */
  timeoutMs?: number;
}

/**
 * Fault test: publishes `messageCount` events through a durable group while the broker is
 * restarted midway, and checks that every one is handled at least once. A publish that rejects
 * during the outage is retried, as an application would; duplicates are allowed (at least
 * once) and printed with the other figures. Run it from a `*.fault.test.ts` file: it stops the
 * shared broker.
 */
export function describeBrokerRestartContract(
  name: string,
  options: BrokerRestartContractOptions,
): void {
  const count = options.messageCount ?? 10_000;
  const timeoutMs = options.timeoutMs ?? 120_000;
  describe(`Transport contract: ${name} across a broker restart`, () => {
    afterAll(() => cleanUpTopics(options.cleanup), 60_000);
    it(
      `loses none of ${count} events when the broker restarts mid-run`,
      { timeout: timeoutMs + 30_000 },
      () => expectNoLossAcrossRestart(name, options),
    );
  });
}

/**
 * The restart scenario itself: shared by {@link describeBrokerRestartContract} and the restart
 * case of `describeTransportContract` (when given `restartBroker`).
 */
export async function expectNoLossAcrossRestart(
  name: string,
  options: BrokerRestartContractOptions,
): Promise<void> {
  const count = options.messageCount ?? 10_000;
  const timeoutMs = options.timeoutMs ?? 120_000;
  const transport = await openTransport(options.createTransport);
  const topic = uniqueTopic('restart');
  const group = uniqueGroup('survivors');
  await transport.ensure(topic, [group]);
  // Slow enough that handlers are mid-flight when the broker goes away.
  const recorder = createRecorder(() => sleep(20));
  await transport.subscribe(topic, recorder.handler, { group, concurrency: 50 });
  const started = Date.now();
  const deadline = started + timeoutMs;
  let publishFailures = 0;
  let published = 0;
  const publishOne = async (n: number) => {
    const event = testEvent(n);
    for (;;) {
      try {
        await transport.publish(topic, event);
        published += 1;
        return;
      } catch (error) {
        publishFailures += 1;
        if (Date.now() > deadline) throw error;
        await sleep(250);
      }
    }
  };
  let restart: Promise<void> | undefined;
  let restartedAt = '';
  const window = 100;
  const publishForMs = options.publishForMs ?? 10_000;
  for (let start = 0; start < count; start += window) {
    if (restart === undefined && start >= count / 4) {
      const before = published;
      restart = options.restartBroker().then(() => {
        restartedAt = `restart began after ${before} and ended after ${published} confirmed publishes`;
      });
    }
    const size = Math.min(window, count - start);
    await Promise.all(Array.from({ length: size }, (_, i) => publishOne(start + i)));
    const due = started + (publishForMs * (start + size)) / count;
    if (Date.now() < due) await sleep(due - Date.now());
  }
  await restart;
  await recorder.waitForDistinct(count, Math.max(1000, deadline - Date.now()));
  const duplicates = recorder.received.length - recorder.ids.size;
  console.info(
    `${name} broker restart: published ${published}/${count} (${publishFailures} failed publishes retried), ` +
      `handled ${recorder.ids.size} distinct, ${duplicates} duplicates, in ${Date.now() - started} ms; ${restartedAt}`,
  );
  expect(recorder.ids.size).toBe(count);
}
