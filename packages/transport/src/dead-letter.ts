import { randomUUID } from 'node:crypto';
import {
  type CloudEvent,
  decodeCloudEvent,
  type EncodedCloudEvent,
  encodeCloudEvent,
  type ForeignMetadata,
  isRfc3339,
  isStructuredMediaType,
} from './cloud-event.js';
import { DEAD_LETTER_ATTRIBUTES } from './transport.js';

/** What a transport knows about a message it gives up on. */
export interface DeadLetterInput {
  /** The message's attributes as they arrived (without the adapter's header prefix). */
  readonly attributes: Readonly<Record<string, string>>;
  /** The message body as it arrived. */
  readonly body: Uint8Array;
  /** The broker metadata that came with it (foreign headers, AMQP properties), kept as it is. */
  readonly foreign?: ForeignMetadata | undefined;
  /** Why it is dead-lettered: the last handler error's message, or the decoding error's. */
  readonly reason: string;
  /** The group that gave up, or `undefined` for an ephemeral subscription. */
  readonly group: string | undefined;
  /** Deliveries made before giving up. */
  readonly attempts: number;
}

/** Fills in what an undecodable message lacks so its dead letter is itself a valid CloudEvent. */
const UNDECODABLE_DEFAULTS = {
  source: 'urn:playtally:transport',
  type: 'playtally.transport.undecodable',
} as const;

/** Where a dead letter keeps a `time` attribute that was not RFC 3339. */
export const INVALID_TIME_ATTRIBUTE = 'invalidtime';

/**
 * Builds the dead letter for a message: a well-formed binary-mode CloudEvent with the original's
 * attributes, data and foreign metadata (see {@link ForeignMetadata}) plus the extension
 * attributes `deadletterreason`, `deadlettergroup` (absent for ephemeral subscriptions) and
 * `deadletterattempts`.
 *
 * A structured-mode original (`application/cloudevents+json`) that decodes is written in binary
 * mode, its `data` as the body, so that no reader takes the dead-letter attributes in the
 * headers for a structured event's. When the original was not a CloudEvent, missing
 * `id`/`source`/`type` are filled in (`urn:playtally:transport`, `playtally.transport.undecodable`),
 * `specversion` is set to `1.0`, a `time` that is not RFC 3339 moves to the `invalidtime`
 * extension, and a body that does not decode under its `datacontenttype` (or is an unreadable
 * structured event) is relabelled `application/octet-stream`, its bytes kept exactly. A missing
 * `time` stays missing: nothing is made up.
 *
 * Adapters use it and publish the result to `deadLetterTopic(topic)` before acknowledging the
 * original, so a dead letter is never lost (at worst duplicated).
 */
export function createDeadLetter(input: DeadLetterInput): EncodedCloudEvent {
  const marks: Record<string, string> = { [DEAD_LETTER_ATTRIBUTES.reason]: input.reason };
  if (input.group !== undefined) marks[DEAD_LETTER_ATTRIBUTES.group] = input.group;
  marks[DEAD_LETTER_ATTRIBUTES.attempts] = String(input.attempts);
  const foreign = input.foreign === undefined ? {} : { foreign: input.foreign };
  const contentType = input.attributes.datacontenttype;
  if (contentType !== undefined && isStructuredMediaType(contentType)) {
    const event = tryDecode(input.attributes, input.body);
    if (event !== undefined) {
      const { [DEAD_LETTER_ATTRIBUTES.group]: _, ...extensions } = event.extensions ?? {};
      return {
        ...encodeCloudEvent({ ...event, extensions: { ...extensions, ...marks } }),
        ...foreign,
      };
    }
  }
  const attributes: Record<string, string> = { ...input.attributes };
  delete attributes[DEAD_LETTER_ATTRIBUTES.group];
  Object.assign(attributes, marks);
  attributes.datacontenttype ??= 'application/json';
  if (tryDecode(attributes, input.body) === undefined) {
    attributes.id ||= randomUUID();
    attributes.source ||= UNDECODABLE_DEFAULTS.source;
    attributes.type ||= UNDECODABLE_DEFAULTS.type;
    attributes.specversion = '1.0';
    const { time } = attributes;
    if (time !== undefined && !isRfc3339(time)) {
      attributes[INVALID_TIME_ATTRIBUTE] = time;
      delete attributes.time;
    }
    if (
      isStructuredMediaType(attributes.datacontenttype) ||
      tryDecode(attributes, input.body) === undefined
    )
      attributes.datacontenttype = 'application/octet-stream';
  }
  return { attributes, body: input.body, ...foreign };
}

function tryDecode(
  attributes: Readonly<Record<string, string>>,
  body: Uint8Array,
): CloudEvent | undefined {
  try {
    return decodeCloudEvent(attributes, body);
  } catch {
    return undefined;
  }
}
