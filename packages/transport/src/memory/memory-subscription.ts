import type { EncodedCloudEvent } from '../cloud-event.js';
import { processDelivery, type ResolvedSubscribeOptions } from '../delivery.js';
import { createInFlightTracker } from '../in-flight.js';
import type { EventHandler, Subscription } from '../transport.js';
import type { MemoryConsumer, MemoryEnvelope, MemoryQueue } from './memory-queue.js';

/** What a memory subscription needs from its transport. */
export interface MemorySubscriptionInit {
  readonly topic: string;
  readonly queue: MemoryQueue;
  readonly options: ResolvedSubscribeOptions;
  readonly handler: EventHandler<never>;
  readonly closeTimeoutMs: number;
  /** Puts the envelope back on `queue` after `delayMs` (unless the transport closed meanwhile). */
  readonly retryLater: (queue: MemoryQueue, envelope: MemoryEnvelope, delayMs: number) => void;
  readonly publishDeadLetter: (topic: string, deadLetter: EncodedCloudEvent) => void;
  /** Called once the subscription has fully closed. */
  readonly onClosed: () => void;
}

interface Running {
  readonly envelope: MemoryEnvelope;
  handedBack: boolean;
}

/** A consumer of one {@link MemoryQueue}, running up to `concurrency` handlers at once. */
export function createMemorySubscription(init: MemorySubscriptionInit): Subscription {
  const { queue, options } = init;
  const inFlight = createInFlightTracker();
  const abort = new AbortController();
  const running = new Set<Running>();
  let active = 0;
  let closing: Promise<void> | undefined;

  const consumer: MemoryConsumer = {
    get free() {
      return closing === undefined ? options.concurrency - active : 0;
    },
    deliver(envelope) {
      active += 1;
      void inFlight.track(run(envelope));
    },
  };

  async function run(envelope: MemoryEnvelope): Promise<void> {
    const entry: Running = { envelope, handedBack: false };
    running.add(entry);
    const outcome = await processDelivery({
      topic: init.topic,
      key: envelope.key,
      attempt: envelope.attempt,
      message: envelope.message,
      options,
      signal: abort.signal,
      handler: init.handler,
    });
    running.delete(entry);
    active -= 1;
    if (entry.handedBack) return;
    if (outcome.kind === 'retry') {
      init.retryLater(queue, { ...envelope, attempt: envelope.attempt + 1 }, outcome.delayMs);
    } else if (outcome.kind === 'dead-letter') {
      init.publishDeadLetter(init.topic, outcome.deadLetter);
    }
    queue.schedule();
  }

  async function close(): Promise<void> {
    queue.removeConsumer(consumer);
    const drained = await inFlight.drain(init.closeTimeoutMs);
    if (!drained) {
      abort.abort(new Error(`subscription to ${init.topic} closed before its handler finished`));
      for (const entry of running) {
        entry.handedBack = true;
        queue.push({ ...entry.envelope, attempt: entry.envelope.attempt + 1 });
      }
    }
    init.onClosed();
  }

  queue.addConsumer(consumer);
  return {
    topic: init.topic,
    group: options.group,
    close() {
      closing ??= close();
      return closing;
    },
  };
}
