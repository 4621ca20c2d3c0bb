import { randomUUID } from 'node:crypto';
import { errorMessage, PlaytallyError } from '@playtally/core';
import {
  type CloudEvent,
  decodeCloudEvent,
  type EncodedCloudEvent,
  isJsonMediaType,
} from './cloud-event.js';
import { createDeadLetter } from './dead-letter.js';
import {
  type BackoffOptions,
  backoffDelay,
  type DeliveryContext,
  type EventHandler,
  PLAIN_JSON_DEFAULTS,
  type SubscribeOptions,
} from './transport.js';
import { isUnrecoverableError } from './unrecoverable-error.js';

/** {@link SubscribeOptions} with every default applied and checked. */
export interface ResolvedSubscribeOptions {
  readonly group: string | undefined;
  readonly concurrency: number;
  readonly maxAttempts: number;
  readonly backoff: Readonly<Required<BackoffOptions>>;
  /** The `type` and `source` plain-JSON messages are wrapped with, or `undefined` to dead-letter them. */
  readonly wrapPlainJson:
    | { readonly type: string; readonly source: string | undefined }
    | undefined;
}

/**
 * Applies the defaults of {@link SubscribeOptions} (concurrency 1, maxAttempts 5, backoff
 * 100 ms doubling up to 5 s) and rejects nonsense with `PlaytallyError('INVALID_INPUT')`.
 * Adapters call it first in `subscribe` so every transport reads options the same way.
 */
export function resolveSubscribeOptions(options: SubscribeOptions = {}): ResolvedSubscribeOptions {
  const concurrency = options.concurrency ?? 1;
  const maxAttempts = options.maxAttempts ?? 5;
  const backoff = {
    initialMs: options.backoff?.initialMs ?? 100,
    maxMs: options.backoff?.maxMs ?? 5000,
    factor: options.backoff?.factor ?? 2,
  };
  if (!Number.isInteger(concurrency) || concurrency < 1) {
    throw new PlaytallyError(
      'INVALID_INPUT',
      `concurrency must be a positive integer, got ${concurrency}`,
    );
  }
  if (!Number.isInteger(maxAttempts) || maxAttempts < 1) {
    throw new PlaytallyError(
      'INVALID_INPUT',
      `maxAttempts must be a positive integer, got ${maxAttempts}`,
    );
  }
  if (options.group === '') throw new PlaytallyError('INVALID_INPUT', 'group must not be empty');
  if (backoff.initialMs < 0 || backoff.maxMs < 0 || backoff.factor < 1) {
    throw new PlaytallyError(
      'INVALID_INPUT',
      'backoff needs initialMs >= 0, maxMs >= 0 and factor >= 1',
    );
  }
  const wrap = options.wrapPlainJson;
  const wrapPlainJson =
    wrap === undefined || wrap === false
      ? undefined
      : {
          type: (wrap === true ? undefined : wrap.type) ?? PLAIN_JSON_DEFAULTS.type,
          source: wrap === true ? undefined : wrap.source,
        };
  if (wrapPlainJson?.type === '' || wrapPlainJson?.source === '')
    throw new PlaytallyError('INVALID_INPUT', 'wrapPlainJson type and source must not be empty');
  return { group: options.group, concurrency, maxAttempts, backoff, wrapPlainJson };
}

/** One delivery of a raw message to a handler. */
export interface DeliveryInput {
  readonly topic: string;
  readonly key: string | undefined;
  /** 1-based delivery number of this message for this group. */
  readonly attempt: number;
  readonly message: EncodedCloudEvent;
  /** The broker's id of the message, if it has one: the id of a wrapped plain-JSON message. */
  readonly brokerId?: string | undefined;
  readonly options: ResolvedSubscribeOptions;
  readonly signal: AbortSignal;
  /** Any subscriber's handler; it receives the decoded event, whatever its payload type. */
  readonly handler: EventHandler<never>;
}

/** What the adapter must do with a message after {@link processDelivery}. */
export type DeliveryOutcome =
  /** The handler resolved: acknowledge. */
  | { readonly kind: 'ack' }
  /** The handler failed with attempts left: deliver again after `delayMs`. */
  | { readonly kind: 'retry'; readonly delayMs: number; readonly error: unknown }
  /**
   * Give up: publish `deadLetter` to the dead-letter topic, then acknowledge. Happens when the
   * handler failed on the last attempt or the message is not a decodable CloudEvent.
   */
  | {
      readonly kind: 'dead-letter';
      readonly deadLetter: EncodedCloudEvent;
      readonly error: unknown;
    };

const ACK: DeliveryOutcome = Object.freeze({ kind: 'ack' });

/**
 * Decodes a message, runs the handler and decides its fate, so that every adapter applies the
 * same rules: an undecodable message is dead-lettered at once (retrying cannot help), and so is
 * one whose handler threw an {@link UnrecoverableError}; any other failed handler is retried with
 * backoff until `maxAttempts`, and the dead letter names the last error. Never throws: a handler's error becomes the outcome.
 */
export async function processDelivery(input: DeliveryInput): Promise<DeliveryOutcome> {
  const { options } = input;
  let event: CloudEvent;
  try {
    event = decodeCloudEvent(input.message.attributes, input.message.body);
  } catch (error) {
    const wrapped = options.wrapPlainJson === undefined ? undefined : wrapPlainJson(input);
    if (wrapped === undefined) return deadLetter(input, error);
    event = wrapped;
  }
  const context: DeliveryContext = {
    topic: input.topic,
    group: options.group,
    attempt: input.attempt,
    key: input.key,
    signal: input.signal,
  };
  try {
    await input.handler(event as CloudEvent<never>, context);
    return ACK;
  } catch (error) {
    if (input.attempt >= options.maxAttempts || isUnrecoverableError(error))
      return deadLetter(input, error);
    return { kind: 'retry', delayMs: backoffDelay(input.attempt, options.backoff), error };
  }
}

/** A message without any CloudEvent attribute and with a JSON body, as a CloudEvent. */
function wrapPlainJson(input: DeliveryInput): CloudEvent | undefined {
  const { attributes, body } = input.message;
  const wrap = input.options.wrapPlainJson;
  if (wrap === undefined || attributes.id || attributes.source || attributes.type) return undefined;
  if (attributes.specversion || !isJsonMediaType(attributes.datacontenttype ?? 'application/json'))
    return undefined;
  let data: unknown;
  try {
    data = JSON.parse(new TextDecoder('utf-8', { fatal: true }).decode(body));
  } catch {
    return undefined;
  }
  return {
    id: input.brokerId || randomUUID(),
    source: wrap.source ?? PLAIN_JSON_DEFAULTS.source(input.topic),
    type: wrap.type,
    specversion: '1.0',
    datacontenttype: 'application/json',
    data,
  };
}

function deadLetter(input: DeliveryInput, error: unknown): DeliveryOutcome {
  const deadLetter = createDeadLetter({
    attributes: input.message.attributes,
    body: input.message.body,
    foreign: input.message.foreign,
    reason: errorMessage(error),
    group: input.options.group,
    attempts: input.attempt,
  });
  return { kind: 'dead-letter', deadLetter, error };
}
