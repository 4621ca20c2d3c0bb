import { type CloudEventParts, type EncodedCloudEvent, readHeaders } from '@playtally/transport';
import type { IHeaders, KafkaMessage, Message } from 'kafkajs';

/**
 * CloudEvents Kafka protocol binding, binary content mode: every attribute travels as a header
 * named `ce_<attribute>`, except `datacontenttype`, which is the `content-type` header; the
 * body is the record value and the publish key is the record key.
 */
export const HEADER_PREFIX = 'ce_';
const CONTENT_TYPE = 'content-type';

/** Turns an encoded event into a kafkajs record. */
export function toKafkaMessage(encoded: CloudEventParts, key: string | undefined): Message {
  // A dead letter keeps the original's other headers (a `traceid`), under its attributes.
  const headers: IHeaders =
    encoded.foreign?.headers === undefined ? {} : { ...(encoded.foreign.headers as IHeaders) };
  const attributes = encoded.attributes;
  for (const name in attributes) {
    headers[name === 'datacontenttype' ? CONTENT_TYPE : HEADER_PREFIX + name] = attributes[name];
  }
  const { body } = encoded;
  const value =
    typeof body === 'string' ? body : Buffer.from(body.buffer, body.byteOffset, body.byteLength);
  return key === undefined ? { value, headers } : { key, value, headers };
}

/**
 * Reads a consumed record back into attributes and body. Headers without the `ce_` prefix
 * (other than `content-type`) are not CloudEvent attributes: they are kept as foreign headers,
 * for a dead letter to carry; a repeated header keeps its last value. The body is the record's value as kafkajs decoded it (a `Buffer`, which is
 * a `Uint8Array`), not a copy.
 */
export function fromKafkaMessage(message: KafkaMessage): EncodedCloudEvent {
  const headers = message.headers ?? {};
  const body = message.value ?? EMPTY;
  const standard = standardAttributes(headers);
  if (standard !== undefined) return { attributes: standard, body };
  const { attributes, foreign } = readHeaders(headers, BINDING);
  return { attributes, body, foreign: foreign === undefined ? undefined : { headers: foreign } };
}

const BINDING = { prefixes: [HEADER_PREFIX], contentType: CONTENT_TYPE };

const EMPTY = Buffer.alloc(0);

/**
 * The common case, read with fixed property names (which the engine optimises far better than a
 * loop storing computed names): exactly the six headers this transport writes for an event
 * without subject or extensions. `undefined` for any other set of headers.
 */
function standardAttributes(headers: IHeaders): Record<string, string> | undefined {
  const { ce_id, ce_source, ce_type, ce_specversion, ce_time } = headers;
  const contentType = headers[CONTENT_TYPE];
  if (
    !Buffer.isBuffer(ce_id) ||
    !Buffer.isBuffer(ce_source) ||
    !Buffer.isBuffer(ce_type) ||
    !Buffer.isBuffer(ce_specversion) ||
    !Buffer.isBuffer(ce_time) ||
    !Buffer.isBuffer(contentType)
  ) {
    return undefined;
  }
  let names = 0;
  for (const _ in headers) names += 1;
  if (names !== 6) return undefined;
  // Same property order as core's encodeCloudEvent, so every decoded event has one shape.
  return {
    id: ce_id.toString(),
    source: ce_source.toString(),
    type: ce_type.toString(),
    specversion: ce_specversion.toString(),
    time: ce_time.toString(),
    datacontenttype: contentType.toString(),
  };
}

/** The record key as text, or `undefined` for a record without one. */
export function messageKey(message: KafkaMessage): string | undefined {
  return message.key === null || message.key === undefined ? undefined : message.key.toString();
}

/** Approximate wire size of a record, for batch limits. */
export function messageSize(message: Message): number {
  let size = byteLength(message.key) + byteLength(message.value) + 16;
  for (const [name, value] of Object.entries(message.headers ?? {})) {
    size +=
      name.length +
      (Array.isArray(value) ? value.reduce((n, v) => n + byteLength(v), 0) : byteLength(value));
  }
  return size;
}

function byteLength(value: Buffer | string | null | undefined): number {
  if (value === null || value === undefined) return 0;
  return typeof value === 'string' ? Buffer.byteLength(value) : value.byteLength;
}
