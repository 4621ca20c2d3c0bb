import type { Delivery } from '../kit/transport-driver.js';

/** A message waiting in, or taken from, a {@link MemoryQueue}. */
export type MemoryEnvelope = Delivery;

/**
 * A FIFO buffer with competing readers: the memory transport's equivalent of an AMQP queue.
 * A durable group owns one for the life of the transport (so it buffers while nobody
 * consumes); an ephemeral subscription owns one until it closes. Readers take envelopes in
 * order; a reader waiting on an empty queue is woken on a later microtask, so envelopes
 * published together are taken together.
 */
export class MemoryQueue {
  private items: (MemoryEnvelope | undefined)[] = [];
  private head = 0;
  private readonly waiting: (() => void)[] = [];
  private scheduled = false;
  /** Each reader's envelopes taken and not yet acknowledged. */
  readonly readers = new Set<ReadonlySet<MemoryEnvelope>>();

  /** Envelopes waiting for a reader. */
  get length(): number {
    return this.items.length - this.head;
  }

  push(envelope: MemoryEnvelope): void {
    this.items.push(envelope);
    if (this.waiting.length > 0 && !this.scheduled) {
      this.scheduled = true;
      queueMicrotask(() => {
        this.scheduled = false;
        this.waiting.shift()?.();
      });
    }
  }

  /**
   * Takes up to `count` envelopes, waiting for the first one unless `signal` is aborted (then
   * resolves empty at once).
   */
  async take(count: number, signal: AbortSignal): Promise<MemoryEnvelope[]> {
    while (this.length === 0) {
      if (signal.aborted) return [];
      await new Promise<void>((resolve) => {
        const wake = () => {
          signal.removeEventListener('abort', wake);
          const index = this.waiting.indexOf(wake);
          if (index >= 0) this.waiting.splice(index, 1);
          resolve();
        };
        this.waiting.push(wake);
        signal.addEventListener('abort', wake, { once: true });
      });
    }
    const end = Math.min(this.items.length, this.head + count);
    const taken = this.items.slice(this.head, end) as MemoryEnvelope[];
    this.items.fill(undefined, this.head, end);
    this.head = end;
    if (this.head > 1024 && this.head * 2 > this.items.length) {
      this.items = this.items.slice(this.head);
      this.head = 0;
    }
    // More left and more readers waiting: let the next one take its share.
    if (this.length > 0) this.waiting.shift()?.();
    return taken;
  }

  /** Envelopes readers hold unacknowledged. */
  get inFlight(): number {
    let count = 0;
    for (const taken of this.readers) count += taken.size;
    return count;
  }

  /** Hands taken envelopes back to the front of the queue, counting the delivery that was lost. */
  handBack(envelopes: Iterable<MemoryEnvelope>): void {
    const back: MemoryEnvelope[] = [];
    for (const envelope of envelopes) {
      back.push({ ...envelope, attempt: envelope.attempt + 1 });
    }
    if (back.length === 0) return;
    this.items = [...back, ...this.items.slice(this.head)];
    this.head = 0;
    this.waiting.shift()?.();
  }
}
