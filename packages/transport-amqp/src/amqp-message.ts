import type { CloudEventParts, Delivery } from '@playtally/transport';
import type { Message, Options } from 'amqplib';

/** Prefix of the headers that carry CloudEvent attributes (CloudEvents AMQP binding, binary mode). */
export const CLOUDEVENTS_HEADER_PREFIX = 'cloudEvents_';
/** Header with the 1-based delivery attempt of a retry copy (absent on first publish). */
export const ATTEMPT_HEADER = 'x-playtally-attempt';
/** Header with the key the event was published with. */
export const KEY_HEADER = 'x-playtally-key';

/**
 * Maps a binary-mode CloudEvent onto AMQP: the body is the payload, `datacontenttype` becomes
 * the `content-type` property, every other attribute a `cloudEvents_<name>` header; `id` is also
 * the `message-id` property so broker tools show it. Messages are persistent.
 */
export function encodeAmqpMessage(
  message: CloudEventParts,
  key: string | undefined,
  attempt?: number,
): { content: Buffer; options: Options.Publish } {
  const headers: Record<string, string | number> = {};
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
  const options: Options.Publish = { persistent: true, headers };
  if (contentType !== undefined) options.contentType = contentType;
  if (messageId !== undefined) options.messageId = messageId;
  return { content, options };
}

/**
 * Reads a delivered message back: `cloudEvents_` (or `cloudEvents:`) headers become attributes,
 * the `content-type` property `datacontenttype`. The attempt is the retry copy's attempt header
 * (1 without one) plus the broker's own redeliveries (`x-delivery-count` on quorum queues, else
 * 1 when `redelivered` is set). Never throws: checking that the result is a CloudEvent is left
 * to decoding, so bad messages can be dead-lettered with a reason.
 */
export function decodeAmqpMessage(delivered: Message): Delivery {
  const headers = (delivered.properties.headers ?? {}) as Record<string, unknown>;
  const attributes: Record<string, string> = {};
  for (const [name, value] of Object.entries(headers)) {
    if (value === undefined || value === null) continue;
    if (name.startsWith(CLOUDEVENTS_HEADER_PREFIX) || name.startsWith('cloudEvents:')) {
      attributes[name.slice(CLOUDEVENTS_HEADER_PREFIX.length)] = Buffer.isBuffer(value)
        ? value.toString('utf8')
        : String(value);
    }
  }
  const contentType = delivered.properties.contentType as string | undefined;
  if (contentType !== undefined && attributes.datacontenttype === undefined)
    attributes.datacontenttype = contentType;
  const retryAttempt = Number(headers[ATTEMPT_HEADER] ?? 1) || 1;
  const deliveryCount = Number(headers['x-delivery-count'] ?? Number.NaN);
  const brokerRedeliveries = Number.isFinite(deliveryCount)
    ? deliveryCount
    : delivered.fields.redelivered
      ? 1
      : 0;
  const key = headers[KEY_HEADER];
  return {
    message: { attributes, body: delivered.content },
    key: key === undefined || key === null ? undefined : String(key),
    attempt: retryAttempt + brokerRedeliveries,
  };
}
