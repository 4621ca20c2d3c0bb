import { errorMessage, isPlaytallyError, PlaytallyError } from '@playtally/core';
import { assertTransportOpen } from '../assert-open.js';
import { encodeCloudEventParts } from '../cloud-event.js';
import { resolveSubscribeOptions } from '../delivery.js';
import { createInFlightTracker } from '../in-flight.js';
import { silentLogger } from '../logger.js';
import {
  deadLetterTopic,
  type EventHandler,
  type SubscribeOptions,
  type Subscription,
  type Transport,
} from '../transport.js';
import { createDeliveryLoop, type DeliveryLoop } from './delivery-loop.js';
import type { Delivery, LocalGroups, Receiver, TransportDriver } from './transport-driver.js';

const ignore = (): void => {};

/**
 * Builds a {@link Transport} from a broker adapter's primitives, the way unstorage's
 * `defineDriver` builds a storage: the kit owns everything that is the same on every broker, so
 * an adapter holds only what is particular to its own.
 *
 * The kit owns the lifecycle: after `close()` began, `publish`, `ensure`, `subscribe` and
 * `inspect` reject with `TRANSPORT_CLOSED` and `ping` too; `close()` closes every subscription
 * (including those still opening, which are closed as soon as they open), then waits up to
 * `closeTimeoutMs` for publishes in flight, then calls the driver's `close`, once, however
 * often and concurrently it is called. It runs the one delivery loop of every subscription (see
 * {@link Receiver}): concurrency, handler then acknowledgement, retries with the subscription's
 * backoff (`factor` included), dead letters with the standard attributes, and a graceful close
 * that waits for in-flight handlers and aborts their signal after the close timeout. Errors are
 * logged with the transport's name, never swallowed; a driver's rejection that is not a
 * `PlaytallyError` reaches the caller as `TRANSPORT_ERROR` naming the transport and topic.
 *
 * @example
 * ```ts
 * import { type Delivery, defineTransport } from '@playtally/transport';
 * // A toy broker: fan-out inside one process, nothing kept, nothing to acknowledge.
 * const listeners = new Map<string, Set<(delivery: Delivery) => void>>();
 * const bytes = (body: string | Uint8Array) => (typeof body === 'string' ? new TextEncoder().encode(body) : body);
 * export const createToyTransport = () =>
 *   defineTransport({
 *     name: 'toy',
 *     capabilities: { orderedByKey: true, survivesBrokerRestart: false, distributed: false },
 *     async publish(topic, { attributes, body }, key) {
 *       for (const push of listeners.get(topic) ?? []) push({ message: { attributes, body: bytes(body) }, key, attempt: 1 });
 *     },
 *     async ensure() {},
 *     async receive(topic, _options, { push }) {
 *       listeners.set(topic, (listeners.get(topic) ?? new Set()).add(push));
 *       return { ack() {}, close: async () => void listeners.get(topic)?.delete(push) };
 *     },
 *     async ping() {},
 *     async inspect() { return []; },
 *     async close() {},
 *   });
 * ```
 */
export function defineTransport<D extends Delivery>(driver: TransportDriver<D>): Transport {
  const { name } = driver;
  const closeTimeoutMs = driver.closeTimeoutMs ?? 10_000;
  const openTimeoutMs = driver.openTimeoutMs ?? Number.POSITIVE_INFINITY;
  const logger = driver.logger ?? silentLogger;
  const subscriptions = new Set<Subscription>();
  const loops = new Set<DeliveryLoop<D>>();
  const known = new Map<string, Set<string>>();
  const remember = (topic: string, group: string | undefined) => {
    if (group !== undefined) known.set(topic, (known.get(topic) ?? new Set()).add(group));
  };
  const local = (topic: string): LocalGroups => ({
    known: [...(known.get(topic) ?? [])],
    held(group) {
      let count = 0;
      for (const { subscription, held } of loops) {
        if (subscription.topic === topic && subscription.group === group) count += held;
      }
      return count;
    },
  });
  const publishes = createInFlightTracker();
  let closing: Promise<void> | undefined;

  const assertOpen = (action: string, topic: string): void =>
    assertTransportOpen(name, closing !== undefined, action, topic);

  function failure(action: string, topic: string, error: unknown): unknown {
    if (isPlaytallyError(error)) return error;
    return new PlaytallyError(
      'TRANSPORT_ERROR',
      `${name}: ${action} "${topic}" failed: ${errorMessage(error)}`,
      {
        cause: error,
        details: { topic },
      },
    );
  }

  /** The driver's receiver, or a timeout; a receiver that opens after the timeout is closed. */
  function openReceiver(topic: string, opening: Promise<Receiver<D>>): Promise<Receiver<D>> {
    if (!Number.isFinite(openTimeoutMs)) return opening;
    let timer: NodeJS.Timeout | undefined;
    let timedOut = false;
    opening.then((late) => {
      if (timedOut)
        void late
          .close()
          .catch((error: unknown) =>
            logger.warn({ err: error, topic }, `${name}: closing a late consumer failed`),
          );
    }, ignore);
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(() => {
        timedOut = true;
        reject(new Error(`no answer within ${openTimeoutMs} ms`));
      }, openTimeoutMs);
    });
    return Promise.race([opening, timeout]).finally(() => clearTimeout(timer));
  }

  async function subscribe<T>(
    topic: string,
    handler: EventHandler<T>,
    options?: SubscribeOptions,
  ): Promise<Subscription> {
    assertOpen('subscribe to', topic);
    const resolved = resolveSubscribeOptions(options);
    remember(topic, resolved.group);
    const loop = createDeliveryLoop<D>({
      name,
      topic,
      options: resolved,
      handler: handler as EventHandler<never>,
      closeTimeoutMs,
      logger,
      publishDeadLetter: (deadLetter, key) =>
        driver.publish(deadLetterTopic(topic), deadLetter, key),
      onClosed: () => {
        subscriptions.delete(loop.subscription);
        loops.delete(loop);
      },
    });
    loops.add(loop);
    const sink = {
      push: loop.push,
      lost: (error: unknown) =>
        loop.reopen(error, () => openReceiver(topic, driver.receive(topic, resolved, sink))),
    };
    const opening = openReceiver(topic, driver.receive(topic, resolved, sink));
    loop.attach(opening);
    // Registered while still opening, so that a close() meanwhile closes it once it is open.
    subscriptions.add(loop.subscription);
    try {
      await opening;
    } catch (error) {
      subscriptions.delete(loop.subscription);
      loops.delete(loop);
      throw failure('subscribing to', topic, error);
    }
    if (closing !== undefined) {
      await loop.subscription.close();
      throw new PlaytallyError(
        'TRANSPORT_CLOSED',
        `${name} transport closed while subscribing to "${topic}"`,
        {
          details: { topic },
        },
      );
    }
    return loop.subscription;
  }

  async function close(): Promise<void> {
    await Promise.all([...subscriptions].map((subscription) => subscription.close()));
    if (!(await publishes.drain(closeTimeoutMs))) {
      logger.warn(
        { inFlight: publishes.size },
        `${name}: closing before every publish was confirmed`,
      );
    }
    await driver.close();
  }

  return {
    name,
    capabilities: driver.capabilities,

    publish(topic, event, options) {
      try {
        assertOpen('publish to', topic);
        return publishes.track(
          driver
            .publish(topic, encodeCloudEventParts(event), options?.key)
            .then(ignore, (error: unknown) => {
              throw failure('publishing to', topic, error);
            }),
        );
      } catch (error) {
        return Promise.reject(error);
      }
    },

    async ensure(topic, groups) {
      assertOpen('ensure', topic);
      if (groups.some((group) => group === '')) {
        throw new PlaytallyError('INVALID_INPUT', 'group must not be empty');
      }
      for (const group of groups) remember(topic, group);
      await driver.ensure(topic, groups).catch((error: unknown) => {
        throw failure('ensuring', topic, error);
      });
    },

    subscribe,

    async ping() {
      if (closing !== undefined)
        throw new PlaytallyError('TRANSPORT_CLOSED', `${name} transport is closed`);
      await driver.ping().catch((error: unknown) => {
        throw failure('pinging', 'the broker', error);
      });
    },

    async inspect(topic, group) {
      assertOpen('inspect', topic);
      return driver.inspect(topic, group, local(topic)).catch((error: unknown) => {
        throw failure('inspecting', topic, error);
      });
    },

    close() {
      closing ??= close();
      return closing;
    },
  };
}
