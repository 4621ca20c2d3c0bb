import { type CloudEventParts, type Delivery, readHeaders } from '@playtally/transport';
import type { Message, Options } from 'amqplib';

/** Prefix of the headers that carry CloudEvent attributes (CloudEvents AMQP binding, binary mode). */
export const CLOUDEVENTS_HEADER_PREFIX = 'cloudEvents_';
/** Header with the 1-based delivery attempt of a retry copy (absent on first publish). */
export const ATTEMPT_HEADER = 'x-playtally-attempt';
/** Header with the key the event was published with. */
export const KEY_HEADER = 'x-playtally-key';
const BINDING = {
  prefixes: [CLOUDEVENTS_HEADER_PREFIX, 'cloudEvents:'],
  internal: [ATTEMPT_HEADER, KEY_HEADER, 'x-delivery-count'],
};
/** Message properties a dead letter keeps (others would fail or expire it: `userId`, `expiration`). */
const KEPT_PROPERTIES = ['messageId', 'correlationId', 'replyTo', 'appId', 'type', 'timestamp'];

/**
 * Maps a binary-mode CloudEvent onto AMQP: the body is the payload, `datacontenttype` becomes
 * the `content-type` property, every other attribute a `cloudEvents_<name>` header; `id` is also
 * the `message-id` property so broker tools show it, unless a received message's own properties
 * and headers ({@link ForeignMetadata}, on dead letters and retry copies) say otherwise.
 */
export function encodeAmqpMessage(
  message: CloudEventParts,
  key: string | undefined,
  attempt?: number,
): { content: Buffer; options: Options.Publish } {
  const headers: Record<string, unknown> = { ...message.foreign?.headers };
  for (const [name, value] of Object.entries(message.attributes)) {
    if (name !== 'datacontenttype') headers[CLOUDEVENTS_HEADER_PREFIX + name] = value;
  }
  if (key !== undefined) headers[KEY_HEADER] = key;
  if (attempt !== undefined && attempt > 1) headers[ATTEMPT_HEADER] = attempt;
  const { body } = message;
  const { datacontenttype: contentType, id: messageId } = message.attributes;
  const content =
    typeof body === 'string'
      ? Buffer.from(body)
      : Buffer.from(body.buffer, body.byteOffset, body.byteLength);
  const options: Options.Publish = { persistent: true, headers, contentType, messageId };
  return { content, options: { ...options, ...message.foreign?.properties } };
}

/**
 * Reads a delivered message back (see `readHeaders`: native types such as AMQP timestamps become
 * text): `cloudEvents_` (or `cloudEvents:`) headers become attributes, the `content-type`
 * property `datacontenttype`; other headers and the `messageId`, `correlationId`, `replyTo`,
 * `appId`, `type` and `timestamp` properties are kept as foreign metadata for a dead letter. The
 * attempt is the retry copy's attempt header (1 without one) plus the broker's own redeliveries
 * (`x-delivery-count` on quorum queues, else 1 when `redelivered` is set). Never throws.
 */
export function decodeAmqpMessage({ properties, fields, content }: Message): Delivery {
  const headers = (properties.headers ?? {}) as Record<string, unknown>;
  const { attributes, foreign } = readHeaders(headers, BINDING);
  if (properties.contentType) attributes.datacontenttype ??= properties.contentType;
  const all = properties as unknown as Record<string, unknown>;
  const kept = Object.fromEntries(
    KEPT_PROPERTIES.map((n) => [n, all[n]]).filter(([, v]) => v != null),
  );
  const deliveryCount = Number(headers['x-delivery-count'] ?? Number.NaN);
  const redeliveries = Number.isFinite(deliveryCount) ? deliveryCount : fields.redelivered ? 1 : 0;
  const key = headers[KEY_HEADER];
  return {
    message: { attributes, body: content, foreign: { headers: foreign, properties: kept } },
    key: key === undefined || key === null ? undefined : String(key),
    id: properties.messageId ?? undefined,
    attempt: (Number(headers[ATTEMPT_HEADER] ?? 1) || 1) + redeliveries,
  };
}
