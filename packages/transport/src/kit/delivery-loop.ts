import type { CloudEventParts } from '../cloud-event.js';
import { createDeadLetter } from '../dead-letter.js';
import {
  type DeliveryInput,
  type DeliveryOutcome,
  processDelivery,
  type ResolvedSubscribeOptions,
} from '../delivery.js';
import { createInFlightTracker } from '../in-flight.js';
import type { Logger } from '../logger.js';
import { sleepUnlessAborted } from '../sleep.js';
import { backoffDelay, type EventHandler, type Subscription } from '../transport.js';
import type { Delivery, Receiver } from './transport-driver.js';

/** What the delivery loop of one subscription needs. */
export interface DeliveryLoopInit {
  /** The transport's name, prefixed to log messages. */
  readonly name: string;
  readonly topic: string;
  readonly options: ResolvedSubscribeOptions;
  readonly handler: EventHandler<never>;
  readonly closeTimeoutMs: number;
  readonly logger: Logger;
  /** Publishes a dead letter of this subscription's topic. */
  readonly publishDeadLetter: (
    deadLetter: CloudEventParts,
    key: string | undefined,
  ) => Promise<unknown>;
  /** Called once the subscription has closed. */
  readonly onClosed: () => void;
}

/** A subscription's delivery loop, before and after its receiver opened. */
export interface DeliveryLoop<D extends Delivery> {
  readonly subscription: Subscription;
  /** Deliveries received and not settled yet. */
  readonly held: number;
  /** Takes a pushed delivery; buffered until the receiver is attached. */
  push(delivery: D): void;
  /** Starts delivering once `receiver` resolves; closing waits for it. */
  attach(receiver: Promise<Receiver<D>>): void;
  /** Replaces a receiver that was lost, with `open`, retrying with backoff until closing. */
  reopen(error: unknown, open: () => Promise<Receiver<D>>): void;
}

const RESOLVED = Promise.resolve();

/**
 * The pump yields after this many starts, so deliveries whose handlers settle at once are done
 * before many more are decoded (hundreds of decoded events alive together cost the
 * young-generation collector), while a producer in the same process (the memory transport)
 * cannot outrun it one start per microtask.
 */
const STARTS_PER_YIELD = 16;

/**
 * The one delivery loop every transport runs (see {@link Receiver} for the rules it applies).
 * Deliveries are started in arrival order, yielding after every few starts, so deliveries whose
 * handlers settle at once are done before more are decoded: the handlers in flight only grow
 * towards `concurrency` while they actually wait, and fast handlers never keep hundreds of
 * decoded events alive together. A handler slot is held only while a handler runs, not during
 * a backoff or while waiting for the previous delivery of the same key.
 */
export function createDeliveryLoop<D extends Delivery>(init: DeliveryLoopInit): DeliveryLoop<D> {
  const { name, topic, options, logger } = init;
  const { concurrency, maxAttempts } = options;
  const inFlight = createInFlightTracker();
  const handlerAbort = new AbortController();
  const closingAbort = new AbortController();
  const slotWaiters: (() => void)[] = [];
  const keyTails = new Map<string, Promise<void>>();
  let buffer: D[] = [];
  let head = 0;
  let receiver: Receiver<D> | undefined;
  let opened: Promise<unknown> = RESOLVED;
  let reopening = false;
  let active = 0;
  /** Deliveries received and not finished: a pull source's read-ahead budget. */
  let held = 0;
  let pumping = false;
  let closing: Promise<void> | undefined;
  /** The close timeout ran out: late results of abandoned handlers are dropped. */
  let abandoned = false;
  let wakeReader: (() => void) | undefined;

  const fields = (error?: unknown) =>
    error === undefined
      ? { topic, group: options.group }
      : { err: error, topic, group: options.group };

  const mayStart = (): boolean =>
    closing === undefined || (receiver?.onClose === 'handle' && !abandoned);

  function schedulePump(): void {
    if (!pumping && receiver !== undefined && head < buffer.length) void inFlight.track(pump());
  }

  async function pump(): Promise<void> {
    pumping = true;
    try {
      for (
        let started = 1;
        head < buffer.length && active < concurrency && slotWaiters.length === 0 && mayStart();
        started += 1
      ) {
        const delivery = buffer[head] as D;
        buffer[head] = undefined as unknown as D;
        head += 1;
        start(delivery);
        if (started % STARTS_PER_YIELD === 0) await undefined;
      }
      if (head > 1024 && head * 2 > buffer.length) {
        buffer = buffer.slice(head);
        head = 0;
      }
    } finally {
      pumping = false;
    }
  }

  function start(delivery: D): void {
    const key = delivery.key;
    const previous = key === undefined ? undefined : keyTails.get(key);
    let done: Promise<void>;
    if (previous === undefined) {
      active += 1;
      done = firstAttempt(delivery);
    } else {
      done = previous.then(acquire, acquire).then(() => firstAttempt(delivery));
    }
    if (key !== undefined) keyTails.set(key, done);
    void inFlight.track(
      done.then(
        () => finished(delivery, done),
        (error: unknown) => {
          logger.error(fields(error), `${name}: a delivery failed unexpectedly`);
          finished(delivery, done);
        },
      ),
    );
  }

  function finished(delivery: D, done: Promise<void>): void {
    held -= 1;
    if (delivery.key !== undefined && keyTails.get(delivery.key) === done)
      keyTails.delete(delivery.key);
    const wake = wakeReader;
    if (wake !== undefined) {
      wakeReader = undefined;
      wake();
    }
  }

  const acquire = (): Promise<void> => {
    if (active < concurrency) {
      active += 1;
      return RESOLVED;
    }
    return new Promise((resolve) => slotWaiters.push(resolve));
  };

  function releaseSlot(): void {
    const next = slotWaiters.shift();
    if (next !== undefined) next();
    else {
      active -= 1;
      schedulePump();
    }
  }

  const isCurrent = (delivery: D): boolean =>
    !abandoned &&
    (closing === undefined || receiver?.onClose === 'handle') &&
    (receiver?.isCurrent === undefined || receiver.isCurrent(delivery));

  const input = (delivery: D, attempt: number): DeliveryInput => ({
    topic,
    key: delivery.key,
    attempt,
    message: delivery.message,
    brokerId: delivery.id,
    options,
    signal: handlerAbort.signal,
    handler: init.handler,
  });

  /** The first attempt, slot held: the common case, with no async frame of its own. */
  function firstAttempt(delivery: D): Promise<void> {
    if (!isCurrent(delivery)) {
      releaseSlot();
      return RESOLVED;
    }
    if (delivery.attempt > maxAttempts) {
      releaseSlot();
      return exhausted(delivery);
    }
    return processDelivery(input(delivery, delivery.attempt)).then((outcome) => {
      releaseSlot();
      if (outcome.kind === 'ack') return acknowledge(delivery);
      return afterFailure(delivery, outcome, delivery.attempt);
    });
  }

  /** A failed attempt: dead-letter, or wait out the backoff and try again. */
  async function afterFailure(
    delivery: D,
    failed: Exclude<DeliveryOutcome, { kind: 'ack' }>,
    failedAttempt: number,
  ): Promise<void> {
    let outcome = failed;
    for (let attempt = failedAttempt + 1; ; attempt += 1) {
      if (abandoned) return;
      if (outcome.kind === 'dead-letter') {
        logger.warn(fields(outcome.error), `${name}: dead-lettering a message`);
        if (await writeDeadLetter(outcome.deadLetter, delivery.key)) await acknowledge(delivery);
        return;
      }
      // Closing mid-backoff leaves the delivery unacknowledged: the broker hands it out again.
      if (!(await sleepUnlessAborted(outcome.delayMs, closingAbort.signal))) return;
      if (receiver?.retry !== undefined && !(await retryOn(receiver, delivery, attempt))) return;
      await acquire();
      if (!isCurrent(delivery)) {
        releaseSlot();
        return;
      }
      const next = await processDelivery(input(delivery, attempt)).finally(releaseSlot);
      if (next.kind === 'ack') {
        if (!abandoned) await acknowledge(delivery);
        return;
      }
      outcome = next;
    }
  }

  async function retryOn(current: Receiver<D>, delivery: D, attempt: number): Promise<boolean> {
    try {
      return await current.retry!(delivery, attempt);
    } catch (error) {
      logger.warn(fields(error), `${name}: could not redeliver a message; the broker will`);
      return false;
    }
  }

  /** A delivery handed out more than `maxAttempts` times without being settled. */
  async function exhausted(delivery: D): Promise<void> {
    const attempts = delivery.attempt - 1;
    const reason = `delivered ${attempts} times without being acknowledged (consumers stopped or crashed)`;
    logger.warn(fields(), `${name}: dead-lettering a message that was never settled`);
    const deadLetter = createDeadLetter({
      ...delivery.message,
      reason,
      group: options.group,
      attempts,
    });
    if (await writeDeadLetter(deadLetter, delivery.key)) await acknowledge(delivery);
  }

  /** Publishes a dead letter, retrying with the subscription's backoff until it is closing. */
  async function writeDeadLetter(
    deadLetter: CloudEventParts,
    key: string | undefined,
  ): Promise<boolean> {
    for (let attempt = 1; ; attempt += 1) {
      try {
        await init.publishDeadLetter(deadLetter, key);
        return true;
      } catch (error) {
        logger.error(fields(error), `${name}: publishing a dead letter failed, retrying`);
        const delay = backoffDelay(attempt, options.backoff);
        if (!(await sleepUnlessAborted(delay, closingAbort.signal)) || abandoned) return false;
      }
    }
  }

  function acknowledge(delivery: D): void | Promise<void> {
    if (abandoned || receiver === undefined) return;
    try {
      const acked = receiver.ack(delivery);
      if (acked !== undefined) return acked.catch(ackFailed);
    } catch (error) {
      ackFailed(error);
    }
  }

  const ackFailed = (error: unknown): void =>
    logger.warn(fields(error), `${name}: acknowledging failed; the message will be redelivered`);

  async function readLoop(read: (count: number) => Promise<readonly D[]>): Promise<void> {
    const readAhead = concurrency * 2;
    const smallest = Math.max(1, Math.floor(concurrency / 2));
    let failures = 0;
    while (closing === undefined) {
      const room = readAhead - held;
      if (room < smallest) {
        await new Promise<void>((resolve) => {
          wakeReader = resolve;
        });
        continue;
      }
      try {
        const received = await read(room);
        failures = 0;
        held += received.length;
        for (const delivery of received) buffer.push(delivery);
        schedulePump();
      } catch (error) {
        if (closing !== undefined) break;
        failures += 1;
        logger.warn(fields(error), `${name}: receiving failed, retrying`);
        await sleepUnlessAborted(Math.min(5000, 100 * 2 ** failures), closingAbort.signal);
      }
    }
  }

  let reading: Promise<void> = RESOLVED;

  async function close(): Promise<void> {
    closingAbort.abort();
    const current = await opened.then(
      () => receiver,
      () => undefined,
    );
    if (current === undefined) return;
    wakeReader?.();
    await current
      .stop?.()
      .catch((error: unknown) => logger.warn(fields(error), `${name}: stopping a consumer failed`));
    await reading;
    if (current.onClose !== 'handle') {
      held -= buffer.length - head;
      buffer = [];
      head = 0;
    }
    if (!(await inFlight.drain(init.closeTimeoutMs))) {
      abandoned = true;
      handlerAbort.abort(new Error(`subscription to ${topic} closed before its handler finished`));
    }
    await current
      .close()
      .catch((error: unknown) => logger.warn(fields(error), `${name}: closing a consumer failed`));
  }

  return {
    get held() {
      return held;
    },
    subscription: {
      topic,
      group: options.group,
      close() {
        closing ??= close().finally(init.onClosed);
        return closing;
      },
    },
    push(delivery) {
      held += 1;
      buffer.push(delivery);
      schedulePump();
    },
    reopen(error, open) {
      if (closing !== undefined || reopening || receiver === undefined) return;
      reopening = true;
      logger.warn(fields(error), `${name}: consumer lost, reopening it`);
      const previous = receiver;
      receiver = undefined;
      opened = (async () => {
        await previous
          .close()
          .catch((e: unknown) => logger.warn(fields(e), `${name}: closing a lost consumer failed`));
        for (let attempt = 1; closing === undefined; attempt += 1) {
          try {
            receiver = await open();
            logger.info(fields(), `${name}: consumer reopened`);
            schedulePump();
            return;
          } catch (failure) {
            logger.warn(fields(failure), `${name}: reopening a consumer failed, retrying`);
            await sleepUnlessAborted(
              backoffDelay(attempt, { initialMs: 200, maxMs: 5000 }),
              closingAbort.signal,
            );
          }
        }
      })().finally(() => {
        reopening = false;
      });
    },
    attach(pending) {
      opened = pending.then((opened) => {
        receiver = opened;
        if (closing !== undefined) return;
        if (opened.read !== undefined) reading = readLoop(opened.read.bind(opened));
        schedulePump();
      });
      opened.catch(() => undefined);
    },
  };
}
