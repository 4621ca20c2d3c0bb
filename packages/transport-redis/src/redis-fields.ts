import { type CloudEventParts, type EncodedCloudEvent, readHeaders } from '@playtally/transport';

/** Prefix of the stream fields that carry CloudEvent attributes. */
export const ATTRIBUTE_FIELD_PREFIX = 'ce_';
/** The stream field holding the payload. */
export const DATA_FIELD = 'data';
/** The stream field holding the key the event was published with. */
export const KEY_FIELD = 'key';

/**
 * Maps a binary-mode CloudEvent onto stream fields for XADD: one `ce_<attribute>` field per
 * attribute (`ce_id`, `ce_type`, `ce_datacontenttype`, extensions alike), `key` when the event
 * has one, and the payload as `data`, last. A text body (see `encodeCloudEventParts`) is passed
 * on as a string, which ioredis writes faster than bytes; the stored bytes are the same.
 */
export function encodeStreamFields(
  message: CloudEventParts,
  key: string | undefined,
): (string | Buffer)[] {
  const fields: (string | Buffer)[] = [];
  const { attributes, body } = message;
  // A dead letter keeps the original's other fields (a legacy `payload`), before its own.
  const foreign = message.foreign?.headers ?? {};
  for (const name in foreign) fields.push(name, foreign[name] as string | Buffer);
  for (const name in attributes)
    fields.push(ATTRIBUTE_FIELD_PREFIX + name, attributes[name] as string);
  if (key !== undefined) fields.push(KEY_FIELD, key);
  fields.push(
    DATA_FIELD,
    typeof body === 'string' ? body : Buffer.from(body.buffer, body.byteOffset, body.byteLength),
  );
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
 * attributes, key and body. `ce_<attribute>` fields are attributes, and a `content-type` field
 * (as a Kafka-minded producer writes it) is `datacontenttype`, `application/cloudevents+json`
 * meaning structured mode with the event in `data`. Never throws: other fields are kept as
 * foreign metadata, for a dead letter to carry, and a missing `data` field is an empty body; checking that the result is a CloudEvent is left to decoding, so bad
 * entries can be dead-lettered with a reason.
 */
export function decodeStreamFields(fields: readonly Buffer[]): DecodedStreamFields {
  return standardFields(fields) ?? anyFields(fields);
}

/** The fields `encodeStreamFields` writes for an event without subject or extensions. */
const STANDARD_NAMES = [
  'ce_id',
  'ce_source',
  'ce_type',
  'ce_specversion',
  'ce_time',
  'ce_datacontenttype',
].map((name) => Buffer.from(name));
const KEY_NAME = Buffer.from(KEY_FIELD);
const DATA_NAME = Buffer.from(DATA_FIELD);

function sameBytes(actual: Buffer, expected: Buffer): boolean {
  if (actual.length !== expected.length) return false;
  for (let i = actual.length - 1; i >= 0; i--) if (actual[i] !== expected[i]) return false;
  return true;
}

/**
 * The common case, with its names compared as bytes (no string per field name) and the
 * attributes built as one literal: exactly the standard fields in the order this transport
 * writes them, with or without a key. `undefined` for anything else.
 */
function standardFields(fields: readonly Buffer[]): DecodedStreamFields | undefined {
  const keyed = fields.length === 16;
  if (!keyed && fields.length !== 14) return undefined;
  for (let i = 0; i < STANDARD_NAMES.length; i++) {
    if (!sameBytes(fields[i * 2] as Buffer, STANDARD_NAMES[i] as Buffer)) return undefined;
  }
  if (keyed && !sameBytes(fields[12] as Buffer, KEY_NAME)) return undefined;
  if (!sameBytes(fields[fields.length - 2] as Buffer, DATA_NAME)) return undefined;
  const text = (i: number) => (fields[i] as Buffer).toString('utf8');
  const attributes = {
    id: text(1),
    source: text(3),
    type: text(5),
    specversion: text(7),
    time: text(9),
    datacontenttype: text(11),
  };
  const body = fields[fields.length - 1] as Buffer;
  return { message: { attributes, body }, key: keyed ? text(13) : undefined };
}

/** Any field list: names decoded one by one. */
function anyFields(fields: readonly Buffer[]): DecodedStreamFields {
  const named: Record<string, Buffer> = Object.create(null);
  for (let i = 0; i + 1 < fields.length; i += 2)
    named[(fields[i] as Buffer).toString('utf8')] = fields[i + 1] as Buffer;
  const { attributes, foreign } = readHeaders(named, BINDING);
  const body = named[DATA_FIELD] ?? EMPTY;
  const key = named[KEY_FIELD]?.toString('utf8');
  const message = { attributes, body, foreign: foreign && { headers: foreign } };
  return { message, key };
}

const BINDING = {
  prefixes: [ATTRIBUTE_FIELD_PREFIX],
  contentType: 'content-type',
  internal: [DATA_FIELD, KEY_FIELD],
};
