import { randomUUID } from 'node:crypto';
import { PlaytallyError } from '@playtally/core';

/**
 * A CloudEvents 1.0 event as playtally carries it. Transports move it in binary mode: `data`,
 * encoded per `datacontenttype`, is the message body; every other attribute travels as a header
 * (`ce_` prefix on Kafka, `cloudEvents_` on AMQP, stream fields on Redis).
 *
 * Extension attributes are allowed; their names must be lower-case letters and digits
 * (CloudEvents §3.1.1) and their values strings.
 */
export interface CloudEvent<T = unknown> {
  /** Unique per source; consumers use it to deduplicate redeliveries. */
  readonly id: string;
  /** URI reference naming the producer, e.g. `/playtally/api`. */
  readonly source: string;
  /** Reverse-DNS-ish event type, e.g. `job.requested`. */
  readonly type: string;
  readonly specversion: '1.0';
  /**
   * RFC 3339 timestamp of the occurrence. Optional in CloudEvents: {@link createCloudEvent} sets
   * it, but an event received without one keeps it absent (never a made-up time).
   */
  readonly time?: string;
  /** Media type of `data`; playtally writes `application/json`. */
  readonly datacontenttype: string;
  readonly subject?: string;
  /** URI of the schema `data` adheres to. */
  readonly dataschema?: string;
  readonly data: T;
  /** Extension attributes (string-valued). */
  readonly extensions?: Readonly<Record<string, string>>;
}

/**
 * Broker metadata of a received message that is not a CloudEvent attribute: other programs'
 * headers (Kafka headers, AMQP headers, Redis stream fields) and, on AMQP, message properties
 * such as `messageId` and `correlationId`, by their broker names and as the client read them.
 * The adapter that read them writes them back when it publishes the message's dead letter or a
 * retry copy, so these carry everything needed to replay and correlate the original.
 */
export interface ForeignMetadata {
  readonly headers?: Readonly<Record<string, unknown>> | undefined;
  readonly properties?: Readonly<Record<string, unknown>> | undefined;
}

/** The fields a caller supplies to {@link createCloudEvent}; the rest are filled in. */
export interface CloudEventInit<T> {
  type: string;
  source: string;
  data: T;
  id?: string;
  time?: string | Date;
  subject?: string;
  dataschema?: string;
  datacontenttype?: string;
  extensions?: Record<string, string>;
}

const EXTENSION_NAME = /^[a-z0-9]{1,20}$/;
const REQUIRED = ['id', 'source', 'type', 'specversion'] as const;
const RESERVED = new Set([
  'id',
  'source',
  'type',
  'specversion',
  'time',
  'datacontenttype',
  'subject',
  'data',
  'dataschema',
]);

/**
 * Builds a valid CloudEvent, generating `id` (UUID v4) and `time` (now) when absent.
 *
 * @example
 * ```ts
 * import { createCloudEvent } from '@playtally/transport';
 * const event = createCloudEvent({ type: 'job.requested', source: '/playtally/api', data: { jobId: 'j1' } });
 * ```
 */
export function createCloudEvent<T>(init: CloudEventInit<T>): CloudEvent<T> {
  if (!init.type) throw new PlaytallyError('INVALID_INPUT', 'CloudEvent type must not be empty');
  if (!init.source)
    throw new PlaytallyError('INVALID_INPUT', 'CloudEvent source must not be empty');
  if (init.dataschema === '')
    throw new PlaytallyError('INVALID_INPUT', 'CloudEvent dataschema must not be empty');
  for (const name of Object.keys(init.extensions ?? {})) {
    if (!EXTENSION_NAME.test(name) || RESERVED.has(name)) {
      throw new PlaytallyError(
        'INVALID_INPUT',
        `CloudEvent extension name "${name}" must be 1-20 lower-case letters or digits and not a core attribute`,
      );
    }
  }
  const time =
    init.time instanceof Date ? init.time.toISOString() : (init.time ?? new Date().toISOString());
  if (!isRfc3339(time))
    throw new PlaytallyError('INVALID_INPUT', `CloudEvent time "${time}" is not RFC 3339`);
  return {
    id: init.id ?? randomUUID(),
    source: init.source,
    type: init.type,
    specversion: '1.0',
    time,
    datacontenttype: init.datacontenttype ?? 'application/json',
    ...(init.subject === undefined ? {} : { subject: init.subject }),
    ...(init.dataschema === undefined ? {} : { dataschema: init.dataschema }),
    data: init.data,
    ...(init.extensions === undefined ? {} : { extensions: { ...init.extensions } }),
  };
}

/** A CloudEvent in binary mode: string attributes (headers) and the encoded body. */
export interface EncodedCloudEvent {
  readonly attributes: Readonly<Record<string, string>>;
  readonly body: Uint8Array;
  /** What the broker carried besides the event, for dead letters: see {@link ForeignMetadata}. */
  readonly foreign?: ForeignMetadata | undefined;
}

const encoder = new TextEncoder();
const decoder = new TextDecoder('utf-8', { fatal: true });

/**
 * An event in binary mode with its body not yet turned into bytes: a string for JSON and text
 * media types (JSON-encoded for JSON), the bytes themselves for `Uint8Array` data. For clients
 * that write strings faster than bytes; UTF-8 encoding the string gives exactly the body of
 * {@link encodeCloudEvent}.
 */
export interface CloudEventParts {
  readonly attributes: Readonly<Record<string, string>>;
  readonly body: string | Uint8Array;
  /** Written back by the adapter under the attributes (dead letters, retry copies). */
  readonly foreign?: ForeignMetadata | undefined;
}

/**
 * Encodes an event for the wire (binary content mode), leaving a text body as a string: see
 * {@link CloudEventParts}. Most adapters want {@link encodeCloudEvent}.
 *
 * @example
 * ```ts
 * import { createCloudEvent, encodeCloudEventParts } from '@playtally/transport';
 * const { body } = encodeCloudEventParts(createCloudEvent({ type: 't', source: '/s', data: { n: 1 } }));
 * // body === '{"n":1}'
 * ```
 */
export function encodeCloudEventParts(event: CloudEvent): CloudEventParts {
  const { id, source, type, specversion, time, datacontenttype } = event;
  // Two literals rather than a deleted key: every encoded event keeps one of two shapes.
  const attributes: Record<string, string> =
    time === undefined
      ? { id, source, type, specversion, datacontenttype }
      : { id, source, type, specversion, time, datacontenttype };
  if (event.subject !== undefined) attributes.subject = event.subject;
  if (event.dataschema !== undefined) attributes.dataschema = event.dataschema;
  if (event.extensions !== undefined)
    for (const k in event.extensions) attributes[k] = event.extensions[k] as string;
  let body: string | Uint8Array;
  if (event.data instanceof Uint8Array) body = event.data;
  else if (isJsonMediaType(event.datacontenttype)) body = JSON.stringify(event.data ?? null);
  else body = String(event.data);
  return { attributes, body };
}

/**
 * Encodes an event for the wire (binary content mode): `data` becomes the body (JSON for JSON
 * media types, raw bytes for a `Uint8Array`, UTF-8 text otherwise) and every other attribute,
 * extensions included, becomes a string attribute. Adapters add their header prefix.
 */
export function encodeCloudEvent(event: CloudEvent): EncodedCloudEvent {
  const { attributes, body } = encodeCloudEventParts(event);
  return { attributes, body: typeof body === 'string' ? encoder.encode(body) : body };
}

/**
 * Decodes a received message into an event. Binary content mode: `attributes` are the event's
 * attributes and `body` its data. Structured content mode (CloudEvents JSON format): when
 * `datacontenttype` (the broker's content type) is `application/cloudevents+json`, the body is
 * the whole event, its `data` or `data_base64` the data. Throws `PlaytallyError('INVALID_INPUT')`
 * naming what is wrong when required attributes are missing, the spec version is not 1.0,
 * `time` is not RFC 3339 or a JSON body does not parse; transports dead-letter such messages
 * with that reason instead of handing them to a handler. A missing `time` stays absent.
 */
export function decodeCloudEvent(
  attributes: Readonly<Record<string, string | undefined>>,
  body: Uint8Array,
): CloudEvent {
  const contentType = attributes.datacontenttype;
  if (contentType !== undefined && isStructuredMediaType(contentType))
    return decodeStructured(body);
  checkAttributes(attributes);
  const datacontenttype = contentType ?? 'application/json';
  let data: unknown;
  if (isJsonMediaType(datacontenttype)) {
    try {
      data = JSON.parse(decoder.decode(body));
    } catch (cause) {
      throw new PlaytallyError(
        'INVALID_INPUT',
        `CloudEvent ${attributes.id} has a body that is not valid JSON`,
        { cause },
      );
    }
  } else if (datacontenttype.startsWith('text/')) {
    data = new TextDecoder().decode(body);
  } else {
    data = body;
  }
  return buildEvent(attributes, datacontenttype, data);
}

/** Whether a media type is the CloudEvents JSON format of structured content mode. */
export function isStructuredMediaType(type: string): boolean {
  let structured = structuredMediaTypes.get(type);
  if (structured === undefined) {
    structured = type.split(';')[0]?.trim().toLowerCase() === STRUCTURED_MEDIA_TYPE;
    if (structuredMediaTypes.size < 100) structuredMediaTypes.set(type, structured);
  }
  return structured;
}

/** Memo of {@link isStructuredMediaType}, which runs for every delivered message. */
const structuredMediaTypes = new Map<string, boolean>();

/** The media type of one event in structured content mode (the JSON event format). */
export const STRUCTURED_MEDIA_TYPE = 'application/cloudevents+json';

/**
 * Whether `value` is an RFC 3339 timestamp (`2024-05-01T12:00:00Z`; offsets, fractions and, as
 * RFC 3339 permits, a space for the `T` allowed) naming a real date and time.
 */
export function isRfc3339(value: string): boolean {
  return RFC3339.test(value) && !Number.isNaN(Date.parse(value));
}

const RFC3339 = /^\d{4}-\d{2}-\d{2}[Tt ]\d{2}:\d{2}:\d{2}(\.\d+)?([Zz]|[+-]\d{2}:\d{2})$/;

function checkAttributes(attributes: Readonly<Record<string, string | undefined>>): void {
  if (!attributes.id || !attributes.source || !attributes.type || !attributes.specversion) {
    const missing = REQUIRED.filter((k) => !attributes[k]);
    throw new PlaytallyError(
      'INVALID_INPUT',
      `not a CloudEvent: missing attribute(s) ${missing.join(', ')}`,
      { details: { missing } },
    );
  }
  if (attributes.specversion !== '1.0') {
    throw new PlaytallyError(
      'INVALID_INPUT',
      `unsupported CloudEvents specversion "${attributes.specversion}"`,
    );
  }
  if (attributes.time !== undefined && !isRfc3339(attributes.time)) {
    throw new PlaytallyError(
      'INVALID_INPUT',
      `CloudEvent ${attributes.id} has a time that is not RFC 3339: "${attributes.time}"`,
    );
  }
}

function buildEvent(
  attributes: Readonly<Record<string, string | undefined>>,
  datacontenttype: string,
  data: unknown,
): CloudEvent {
  let extensions: Record<string, string> | undefined;
  for (const k in attributes) {
    const v = attributes[k];
    if (v !== undefined && !RESERVED.has(k)) {
      extensions ??= {};
      extensions[k] = v;
    }
  }
  // One literal, optional fields appended (no conditional spreads): this runs once per delivered
  // message, and the spreads' throwaway objects showed up in consumer profiles.
  const event: { -readonly [K in keyof CloudEvent]: CloudEvent[K] } = {
    id: attributes.id as string,
    source: attributes.source as string,
    type: attributes.type as string,
    specversion: '1.0',
    datacontenttype,
    data,
  };
  if (attributes.time !== undefined) event.time = attributes.time;
  if (attributes.subject !== undefined) event.subject = attributes.subject;
  if (attributes.dataschema !== undefined) event.dataschema = attributes.dataschema;
  if (extensions !== undefined) event.extensions = extensions;
  return event;
}

/** One event in the CloudEvents JSON format: attributes as members, `data` or `data_base64`. */
function decodeStructured(body: Uint8Array): CloudEvent {
  let envelope: unknown;
  try {
    envelope = JSON.parse(decoder.decode(body));
  } catch (cause) {
    throw new PlaytallyError('INVALID_INPUT', 'structured CloudEvent is not valid JSON', { cause });
  }
  return fromJsonEventFormat(envelope);
}

/**
 * Reads one event of the CloudEvents JSON format (a parsed `application/cloudevents+json`
 * document or one element of a batch): attributes are the members other than `data` and
 * `data_base64` (numbers and booleans of extensions become strings), `data_base64` becomes a
 * `Uint8Array`. Throws `PlaytallyError('INVALID_INPUT')` like {@link decodeCloudEvent}.
 */
export function fromJsonEventFormat(envelope: unknown): CloudEvent {
  if (typeof envelope !== 'object' || envelope === null || Array.isArray(envelope))
    throw new PlaytallyError('INVALID_INPUT', 'structured CloudEvent is not a JSON object');
  const attributes: Record<string, string> = {};
  let data: unknown;
  for (const [name, value] of Object.entries(envelope)) {
    if (name === 'data') data = value;
    else if (name === 'data_base64') {
      if (typeof value !== 'string')
        throw new PlaytallyError('INVALID_INPUT', 'data_base64 must be a base64 string');
      data = new Uint8Array(Buffer.from(value, 'base64'));
    } else if (value !== null && value !== undefined) {
      attributes[name.toLowerCase()] = typeof value === 'string' ? value : String(value);
    }
  }
  checkAttributes(attributes);
  const datacontenttype =
    attributes.datacontenttype ??
    (data instanceof Uint8Array ? 'application/octet-stream' : 'application/json');
  return buildEvent(attributes, datacontenttype, data);
}

/**
 * Writes an event in the CloudEvents JSON format (structured content mode), as the WebSocket
 * relays it: extensions and attributes as members, `data` for anything but bytes, which go as
 * `data_base64` as the format requires. An absent `time` stays absent.
 */
export function toJsonEventFormat(event: CloudEvent): Record<string, unknown> {
  const json: Record<string, unknown> = {
    ...event.extensions,
    specversion: event.specversion,
    id: event.id,
    source: event.source,
    type: event.type,
  };
  if (event.time !== undefined) json.time = event.time;
  json.datacontenttype = event.datacontenttype;
  if (event.subject !== undefined) json.subject = event.subject;
  if (event.dataschema !== undefined) json.dataschema = event.dataschema;
  if (event.data instanceof Uint8Array)
    json.data_base64 = Buffer.from(
      event.data.buffer,
      event.data.byteOffset,
      event.data.byteLength,
    ).toString('base64');
  else if (event.data !== undefined) json.data = event.data;
  return json;
}

const jsonMediaTypes = new Map<string, boolean>();

/** Whether a media type is JSON (`application/json` or any `+json`); memoised, since it runs for every message. */
export function isJsonMediaType(type: string): boolean {
  let json = jsonMediaTypes.get(type);
  if (json === undefined) {
    const base = type.split(';')[0]?.trim().toLowerCase() ?? '';
    json = base === 'application/json' || base.endsWith('+json');
    if (jsonMediaTypes.size < 100) jsonMediaTypes.set(type, json);
  }
  return json;
}
