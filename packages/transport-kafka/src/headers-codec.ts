import type { EncodedCloudEvent } from '@playtally/core';
import type { IHeaders, KafkaMessage, Message } from 'kafkajs';

/**
 * CloudEvents Kafka protocol binding, binary content mode: every attribute travels as a header
 * named `ce_<attribute>`, except `datacontenttype`, which is the `content-type` header; the
 * body is the record value and the publish key is the record key.
 */
export const HEADER_PREFIX = 'ce_';
const CONTENT_TYPE = 'content-type';

/** Turns an encoded event into a kafkajs record. */
export function toKafkaMessage(encoded: EncodedCloudEvent, key: string | undefined): Message {
  const headers: IHeaders = {};
  const attributes = encoded.attributes;
  for (const name in attributes) {
    headers[name === 'datacontenttype' ? CONTENT_TYPE : HEADER_PREFIX + name] = attributes[name];
  }
  const value = Buffer.from(encoded.body.buffer, encoded.body.byteOffset, encoded.body.byteLength);
  return key === undefined ? { value, headers } : { key, value, headers };
}

/**
 * Reads a consumed record back into attributes and body. Headers without the `ce_` prefix
 * (other than `content-type`) are not CloudEvent attributes and are left out; a repeated header
 * keeps its last value.
 */
export function fromKafkaMessage(message: KafkaMessage): EncodedCloudEvent {
  const attributes: Record<string, string> = {};
  const headers = message.headers;
  // for…in and no per-name lower-casing on the common path: this runs once per message.
  for (const name in headers) {
    const raw = headers[name];
    const value = Array.isArray(raw) ? raw[raw.length - 1] : raw;
    if (value === undefined) continue;
    // The binding's header names are lower-case; others are matched case-insensitively.
    const lower =
      name.startsWith(HEADER_PREFIX) || name === CONTENT_TYPE ? name : name.toLowerCase();
    if (lower.startsWith(HEADER_PREFIX)) {
      if (lower.length > HEADER_PREFIX.length) {
        attributes[lower.slice(HEADER_PREFIX.length)] = value.toString();
      }
    } else if (lower === CONTENT_TYPE) {
      attributes.datacontenttype = value.toString();
    }
  }
  const body = message.value ?? Buffer.alloc(0);
  return { attributes, body: new Uint8Array(body.buffer, body.byteOffset, body.byteLength) };
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
