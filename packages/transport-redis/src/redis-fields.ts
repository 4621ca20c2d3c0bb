import type { EncodedCloudEvent } from '@playtally/core';

/** Prefix of the stream fields that carry CloudEvent attributes. */
export const ATTRIBUTE_FIELD_PREFIX = 'ce_';
/** The stream field holding the payload. */
export const DATA_FIELD = 'data';
/** The stream field holding the key the event was published with. */
export const KEY_FIELD = 'key';

/**
 * Maps a binary-mode CloudEvent onto stream fields for XADD: one `ce_<attribute>` field per
 * attribute (`ce_id`, `ce_type`, `ce_datacontenttype`, extensions alike), `key` when the event
 * has one, and the payload bytes as `data`, last.
 */
export function encodeStreamFields(
  message: EncodedCloudEvent,
  key: string | undefined,
): (string | Buffer)[] {
  const fields: (string | Buffer)[] = [];
  for (const [name, value] of Object.entries(message.attributes))
    fields.push(ATTRIBUTE_FIELD_PREFIX + name, value);
  if (key !== undefined) fields.push(KEY_FIELD, key);
  const { body } = message;
  fields.push(DATA_FIELD, Buffer.from(body.buffer, body.byteOffset, body.byteLength));
  return fields;
}

/** A stream entry's fields, back in transport terms. */
export interface DecodedStreamFields {
  readonly message: EncodedCloudEvent;
  readonly key: string | undefined;
}

const EMPTY = Buffer.alloc(0);

/**
 * Reads a stream entry's field/value list (as Buffers, so binary payloads survive) back into
 * attributes, key and body. Never throws: unknown fields are ignored and a missing `data` field
 * is an empty body; checking that the result is a CloudEvent is left to decoding, so bad
 * entries can be dead-lettered with a reason.
 */
export function decodeStreamFields(fields: readonly Buffer[]): DecodedStreamFields {
  const attributes: Record<string, string> = {};
  let key: string | undefined;
  let body: Buffer = EMPTY;
  for (let i = 0; i + 1 < fields.length; i += 2) {
    const name = (fields[i] as Buffer).toString('utf8');
    const value = fields[i + 1] as Buffer;
    if (name === DATA_FIELD) body = value;
    else if (name === KEY_FIELD) key = value.toString('utf8');
    else if (name.startsWith(ATTRIBUTE_FIELD_PREFIX)) {
      attributes[name.slice(ATTRIBUTE_FIELD_PREFIX.length)] = value.toString('utf8');
    }
  }
  return { message: { attributes, body }, key };
}
