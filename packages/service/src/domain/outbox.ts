import type { CloudEvent } from '@playtally/transport';

/** An event to publish once the write that produced it has committed. */
export interface OutgoingEvent {
  readonly topic: string;
  readonly event: CloudEvent;
  /** The publish key (ordering, Kafka partition). */
  readonly key?: string | undefined;
  /**
   * The outbox entry's id, when the writer chose it (time-ordered, e.g. UUID v7); the store
   * generates one otherwise. A relay that hands itself the events it is about to commit
   * (`OutboxRelay.claimAhead`) names them, to remove them once published.
   */
  readonly entryId?: string | undefined;
  /**
   * Epoch milliseconds before which no relay may claim the entry: the writer's own relay
   * publishes it first, and other relays take it over only if that one died. @default now
   */
  readonly claimedUntil?: number | undefined;
}

/** An {@link OutgoingEvent} waiting in the outbox. */
export interface OutboxEntry extends OutgoingEvent {
  /** Time-ordered: entries are claimed oldest first. */
  readonly id: string;
  /** Times it was claimed, this claim included. */
  readonly attempts: number;
  readonly createdAt: string;
}

/**
 * An `Idempotency-Key` to record with a created resource. The same key with the same request
 * (same `fingerprint`) replays the original answer; with another request it is refused.
 */
export interface IdempotencyRecord {
  readonly key: string;
  /** A digest of the request the key first came with. */
  readonly fingerprint: string;
}

/** What a recorded {@link IdempotencyRecord} points at. */
export interface IdempotentResult {
  readonly fingerprint: string;
  /** The id of the job or message the key created. */
  readonly resourceId: string;
}

/** What may be committed in the same transaction as a row. */
export interface WriteOptions {
  /** Events to publish once the row is committed (the outbox). @default [] */
  readonly outbox?: readonly OutgoingEvent[];
  /**
   * Record this key with the new row; if the key is already recorded nothing is written and the
   * call rejects with `CONFLICT` (details: `{ idempotencyKey }`).
   */
  readonly idempotency?: IdempotencyRecord | undefined;
}
