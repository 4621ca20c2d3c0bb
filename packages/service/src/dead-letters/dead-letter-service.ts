import { PlaytallyError } from '@playtally/core';
import {
  decodeCloudEvent,
  errorFields,
  type Logger,
  silentLogger,
  type Transport,
} from '@playtally/transport';
import type { DeadLetter } from '../domain/dead-letter.js';
import type { Page } from '../domain/page.js';
import type { DeadLetterListRequest, DeadLetterStore } from '../ports/dead-letter-store.js';

/** Options of {@link createDeadLetterService}. */
export interface DeadLetterServiceOptions {
  store: DeadLetterStore;
  transport: Transport;
  /** @default () => new Date() */
  now?: () => Date;
  /** @default silentLogger */
  logger?: Logger;
}

/** What an operator does with dead letters: look, replay, discard. */
export interface DeadLetterService {
  list(request?: DeadLetterListRequest): Promise<Page<DeadLetter>>;
  /** Rejects with `NOT_FOUND` when unknown. */
  get(id: string): Promise<DeadLetter>;
  /**
   * Publishes the original event again to its topic (every group of that topic receives it)
   * and marks the dead letter replayed. Rejects with `NOT_FOUND` when unknown, `CONFLICT` when
   * it was already replayed (a replay happens once), and with the transport's error when the
   * broker refused, in which case the dead letter stays pending.
   */
  replay(id: string): Promise<DeadLetter>;
  /** Deletes it. Rejects with `NOT_FOUND` when unknown. */
  discard(id: string): Promise<void>;
}

/**
 * Creates the {@link DeadLetterService}.
 *
 * @example
 * ```ts
 * const deadLetters = createDeadLetterService({ store, transport });
 * const { items } = await deadLetters.list({ topic: 'playtally.messages' });
 * if (items[0]) await deadLetters.replay(items[0].id);
 * ```
 */
export function createDeadLetterService(options: DeadLetterServiceOptions): DeadLetterService {
  const { store, transport } = options;
  const now = options.now ?? (() => new Date());
  const logger = options.logger ?? silentLogger;

  const get = async (id: string): Promise<DeadLetter> => {
    const letter = await store.get(id);
    if (letter === undefined) {
      throw new PlaytallyError('NOT_FOUND', `dead letter ${id} does not exist`, {
        details: { id },
      });
    }
    return letter;
  };

  return {
    list: (request) => store.list(request),
    get,
    async replay(id) {
      const letter = await get(id);
      const at = now().toISOString();
      const replayed = await store.markReplayed(id, at);
      if (replayed === undefined) {
        throw new PlaytallyError(
          'CONFLICT',
          `dead letter ${id} was already replayed at ${letter.replayedAt ?? 'an earlier time'}`,
          { details: { id, replayedAt: letter.replayedAt } },
        );
      }
      try {
        const event = decodeCloudEvent(
          letter.event.attributes,
          Buffer.from(letter.event.bodyBase64, 'base64'),
        );
        await transport.publish(letter.topic, event);
      } catch (error) {
        logger.warn({ ...errorFields(error), id }, 'replay failed; the dead letter stays pending');
        await store.unmarkReplayed(id, at).catch(() => {});
        throw error;
      }
      logger.info({ id, topic: letter.topic, eventId: letter.eventId }, 'dead letter replayed');
      return replayed;
    },
    async discard(id) {
      if (!(await store.delete(id))) {
        throw new PlaytallyError('NOT_FOUND', `dead letter ${id} does not exist`, {
          details: { id },
        });
      }
    },
  };
}
