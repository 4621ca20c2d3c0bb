import { errorMessage, PlaytallyError } from '@playtally/core';
import { type CloudEvent, decodeCloudEvent, type EncodedCloudEvent } from './cloud-event.js';
import { createDeadLetter } from './dead-letter.js';
import {
  type BackoffOptions,
  backoffDelay,
  type DeliveryContext,
  type EventHandler,
  type SubscribeOptions,
} from './transport.js';
import { isUnrecoverableError } from './unrecoverable-error.js';

/** {@link SubscribeOptions} with every default applied and checked. */
export interface ResolvedSubscribeOptions {
  readonly group: string | undefined;
  readonly concurrency: number;
  readonly maxAttempts: number;
  readonly backoff: Readonly<Required<BackoffOptions>>;
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
  return { group: options.group, concurrency, maxAttempts, backoff };
}

/** One delivery of a raw message to a handler. */
export interface DeliveryInput {
  readonly topic: string;
  readonly key: string | undefined;
  /** 1-based delivery number of this message for this group. */
  readonly attempt: number;
  readonly message: EncodedCloudEvent;
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
    return deadLetter(input, error);
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

function deadLetter(input: DeliveryInput, error: unknown): DeliveryOutcome {
  const deadLetter = createDeadLetter({
    attributes: input.message.attributes,
    body: input.message.body,
    reason: errorMessage(error),
    group: input.options.group,
    attempts: input.attempt,
  });
  return { kind: 'dead-letter', deadLetter, error };
}
