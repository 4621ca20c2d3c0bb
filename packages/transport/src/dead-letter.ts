import { randomUUID } from 'node:crypto';
import { decodeCloudEvent, type EncodedCloudEvent } from './cloud-event.js';
import { DEAD_LETTER_ATTRIBUTES } from './transport.js';

/** What a transport knows about a message it gives up on. */
export interface DeadLetterInput {
  /** The message's attributes as they arrived (without the adapter's header prefix). */
  readonly attributes: Readonly<Record<string, string>>;
  /** The message body as it arrived. */
  readonly body: Uint8Array;
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

/**
 * Builds the dead letter for a message: the original attributes and body plus the extension
 * attributes `deadletterreason`, `deadlettergroup` (absent for ephemeral subscriptions) and
 * `deadletterattempts`.
 *
 * The result always decodes as a CloudEvent, so the dead-letter topic can be consumed like any
 * other without dead letters of dead letters: when the original was not a CloudEvent, missing
 * `id`/`source`/`type` are filled in (`urn:playtally:transport`, `playtally.transport.undecodable`),
 * `specversion` is set to `1.0`, and a body that does not decode under its `datacontenttype` is
 * relabelled `application/octet-stream` (its bytes are kept exactly).
 *
 * Adapters use it and publish the result to `deadLetterTopic(topic)` before acknowledging the
 * original, so a dead letter is never lost (at worst duplicated).
 */
export function createDeadLetter(input: DeadLetterInput): EncodedCloudEvent {
  const attributes: Record<string, string> = { ...input.attributes };
  attributes[DEAD_LETTER_ATTRIBUTES.reason] = input.reason;
  if (input.group === undefined) delete attributes[DEAD_LETTER_ATTRIBUTES.group];
  else attributes[DEAD_LETTER_ATTRIBUTES.group] = input.group;
  attributes[DEAD_LETTER_ATTRIBUTES.attempts] = String(input.attempts);
  if (!decodes(attributes, input.body)) {
    attributes.id ||= randomUUID();
    attributes.source ||= UNDECODABLE_DEFAULTS.source;
    attributes.type ||= UNDECODABLE_DEFAULTS.type;
    attributes.specversion = '1.0';
    attributes.time ||= new Date().toISOString();
    if (!decodes(attributes, input.body)) attributes.datacontenttype = 'application/octet-stream';
  }
  return { attributes, body: input.body };
}

function decodes(attributes: Readonly<Record<string, string>>, body: Uint8Array): boolean {
  try {
    decodeCloudEvent(attributes, body);
    return true;
  } catch {
    return false;
  }
}
