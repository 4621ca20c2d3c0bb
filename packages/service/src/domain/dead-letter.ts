/** Whether a dead letter still waits for a person, or was published again. */
export type DeadLetterStatus = 'pending' | 'replayed';

/** The original event of a dead letter, as it travelled: binary-mode attributes and body. */
export interface DeadLetterEvent {
  /** CloudEvent attributes (`id`, `source`, `type`, …, extensions) as strings. */
  readonly attributes: Readonly<Record<string, string>>;
  /** The body, base64. */
  readonly bodyBase64: string;
}

/**
 * An event a consumer group gave up on, kept for an operator: why, after how many deliveries,
 * and the original event so it can be replayed. One record per (topic, group, event id): the
 * same event dead-lettered again after a replay reopens its record.
 */
export interface DeadLetter {
  /** Stable for (topic, group, event id). */
  readonly id: string;
  /** The topic the event was published to (not the dead-letter topic). */
  readonly topic: string;
  /** The group that gave up, or `null` for an ephemeral subscription. */
  readonly group: string | null;
  /** The last error's message, or why the event could not be decoded. */
  readonly reason: string;
  /** Deliveries made before giving up. */
  readonly attempts: number;
  /** The original event's id and type, for lists. */
  readonly eventId: string;
  readonly eventType: string;
  readonly event: DeadLetterEvent;
  readonly status: DeadLetterStatus;
  /** When it was recorded (ISO 8601); lists are newest first by it. */
  readonly deadLetteredAt: string;
  readonly replayedAt: string | null;
}

/** A dead letter to record: everything but the status fields. */
export type NewDeadLetter = Omit<DeadLetter, 'status' | 'replayedAt'>;
