/** A JSON message's life: stored as received, then handled by the consumer. */
export type MessageStatus = 'received' | 'consumed';

/** A message posted to `POST /v1/messages`. */
export interface StoredMessage {
  /** Also the CloudEvent id it travels under; consumers deduplicate by it. */
  readonly id: string;
  /** The CloudEvent type; selects a registered schema, if any. @default 'message' */
  readonly type: string;
  readonly source: string;
  /** The JSON object as received (or as its typed schema transformed it). */
  readonly data: Readonly<Record<string, unknown>>;
  readonly status: MessageStatus;
  readonly receivedAt: string;
  readonly consumedAt: string | null;
}

/** What storing a new message needs. */
export type NewMessage = Pick<StoredMessage, 'id' | 'type' | 'source' | 'data' | 'receivedAt'>;
