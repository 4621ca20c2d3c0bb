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
  /** RFC 3339 timestamp. */
  readonly time: string;
  /** Media type of `data`; playtally writes `application/json`. */
  readonly datacontenttype: string;
  readonly subject?: string;
  /** URI of the schema `data` adheres to. */
  readonly dataschema?: string;
  readonly data: T;
  /** Extension attributes (string-valued). */
  readonly extensions?: Readonly<Record<string, string>>;
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
  const attributes: Record<string, string> = {
    id: event.id,
    source: event.source,
    type: event.type,
    specversion: event.specversion,
    time: event.time,
    datacontenttype: event.datacontenttype,
  };
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
 * Decodes a binary-mode message back into an event. Throws `PlaytallyError('INVALID_INPUT')`
 * naming what is wrong when required attributes are missing, the spec version is not 1.0 or a
 * JSON body does not parse; transports dead-letter such messages with that reason instead of
 * handing them to a handler.
 */
export function decodeCloudEvent(
  attributes: Readonly<Record<string, string | undefined>>,
  body: Uint8Array,
): CloudEvent {
  if (!attributes.id || !attributes.source || !attributes.type || !attributes.specversion) {
    const missing = REQUIRED.filter((k) => !attributes[k]);
    throw new PlaytallyError(
      'INVALID_INPUT',
      `not a CloudEvent: missing attribute(s) ${missing.join(', ')}`,
      {
        details: { missing },
      },
    );
  }
  if (attributes.specversion !== '1.0') {
    throw new PlaytallyError(
      'INVALID_INPUT',
      `unsupported CloudEvents specversion "${attributes.specversion}"`,
    );
  }
  const datacontenttype = attributes.datacontenttype ?? 'application/json';
  let data: unknown;
  if (isJsonMediaType(datacontenttype)) {
    try {
      data = JSON.parse(decoder.decode(body));
    } catch (cause) {
      throw new PlaytallyError(
        'INVALID_INPUT',
        `CloudEvent ${attributes.id} has a body that is not valid JSON`,
        {
          cause,
        },
      );
    }
  } else if (datacontenttype.startsWith('text/')) {
    data = new TextDecoder().decode(body);
  } else {
    data = body;
  }
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
    time: attributes.time ?? EPOCH,
    datacontenttype,
    data,
  };
  if (attributes.subject !== undefined) event.subject = attributes.subject;
  if (attributes.dataschema !== undefined) event.dataschema = attributes.dataschema;
  if (extensions !== undefined) event.extensions = extensions;
  return event;
}

const EPOCH = new Date(0).toISOString();
const jsonMediaTypes = new Map<string, boolean>();

/** Whether a media type is JSON; memoised, since it runs for every message. */
function isJsonMediaType(type: string): boolean {
  let json = jsonMediaTypes.get(type);
  if (json === undefined) {
    const base = type.split(';')[0]?.trim().toLowerCase() ?? '';
    json = base === 'application/json' || base.endsWith('+json');
    if (jsonMediaTypes.size < 100) jsonMediaTypes.set(type, json);
  }
  return json;
}
