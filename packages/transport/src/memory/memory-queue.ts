import type { EncodedCloudEvent } from '../cloud-event.js';

/** A message waiting in, or delivered from, a {@link MemoryQueue}. */
export interface MemoryEnvelope {
  readonly message: EncodedCloudEvent;
  readonly key: string | undefined;
  /** 1-based delivery number the next delivery of this envelope will carry. */
  readonly attempt: number;
}

/** Something that takes envelopes from a queue while it has free handler slots. */
export interface MemoryConsumer {
  /** Handler slots currently free. */
  readonly free: number;
  /** Takes one envelope; only called while `free > 0`. */
  deliver(envelope: MemoryEnvelope): void;
}

/**
 * A FIFO buffer with competing consumers: the memory transport's equivalent of an AMQP queue.
 * A durable group owns one for the life of the transport (so it buffers while nobody
 * consumes); an ephemeral subscription owns one until it closes. Envelopes are handed out in
 * order, round-robin over consumers with free slots, so a single consumer with concurrency 1
 * sees them in publish order.
 */
export class MemoryQueue {
  private items: (MemoryEnvelope | undefined)[] = [];
  private head = 0;
  private readonly consumers: MemoryConsumer[] = [];
  private nextConsumer = 0;
  private scheduled = false;

  /** Envelopes waiting for a consumer. */
  get length(): number {
    return this.items.length - this.head;
  }

  get consumerCount(): number {
    return this.consumers.length;
  }

  push(envelope: MemoryEnvelope): void {
    this.items.push(envelope);
    this.schedule();
  }

  addConsumer(consumer: MemoryConsumer): void {
    this.consumers.push(consumer);
    this.schedule();
  }

  removeConsumer(consumer: MemoryConsumer): void {
    const index = this.consumers.indexOf(consumer);
    if (index >= 0) this.consumers.splice(index, 1);
  }

  /**
   * Dispatches on a later microtask, never synchronously: `publish` must not run handlers inside
   * the caller's stack, and a consumer freeing a slot re-enters here.
   */
  schedule(): void {
    if (this.scheduled) return;
    this.scheduled = true;
    queueMicrotask(() => {
      this.scheduled = false;
      this.dispatch();
    });
  }

  private dispatch(): void {
    while (this.head < this.items.length) {
      const consumer = this.pickConsumer();
      if (consumer === undefined) break;
      const envelope = this.items[this.head] as MemoryEnvelope;
      this.items[this.head] = undefined;
      this.head += 1;
      consumer.deliver(envelope);
    }
    if (this.head > 1024 && this.head * 2 > this.items.length) {
      this.items = this.items.slice(this.head);
      this.head = 0;
    }
  }

  private pickConsumer(): MemoryConsumer | undefined {
    for (let tried = 0; tried < this.consumers.length; tried += 1) {
      const index = (this.nextConsumer + tried) % this.consumers.length;
      const consumer = this.consumers[index];
      if (consumer !== undefined && consumer.free > 0) {
        this.nextConsumer = index + 1;
        return consumer;
      }
    }
    return undefined;
  }
}
