import { PlaytallyError } from '@playtally/core';
import type { MessageHandler, StoredMessage } from '@playtally/service';
import { createCsvAppender } from './csv-appender.js';
import { FOOTAGE_CSV_HEADER, formatPredictionRows } from './footage-csv.js';
import { FOOTAGE_MESSAGE_TYPE, footageMessageSchema } from './footage-schema.js';

/** Options of {@link createFootageHandler}. */
export interface FootageHandlerOptions {
  /** The CSV file rows are appended to. */
  output: string;
  /** The message type handled; other types pass through untouched. @default 'footage' */
  type?: string;
  /** How many recently written message ids are remembered to skip a second write. @default 10000 */
  rememberIds?: number;
}

/**
 * The footage consumer's work, as a `handler` for `createMessageConsumer`: for each message of
 * type `footage` it appends one CSV row per prediction (`image_frame,prob,tags`) to `output`.
 *
 * Delivery is at least once, so a message can reach the handler more than once. What keeps its
 * rows from being written twice:
 * - the message consumer skips the handler for a message it has already marked consumed (any
 *   redelivery after a completed handling, also after a restart, with a persistent store);
 * - this handler remembers the ids it wrote (the last `rememberIds`, in memory) and skips them,
 *   which covers a redelivery after the handler succeeded but marking the message consumed
 *   failed, while the process lives; a duplicate arriving while the first is being written
 *   waits for that write instead of writing again.
 *
 * What is not guaranteed: if the process dies after the rows were written and before the message
 * was marked consumed, the redelivery after the restart writes them again (duplicates, never
 * loss). The message's data is parsed with the footage schema again, so a message published on
 * the topic without going through the API is validated too; an invalid one throws, is retried
 * and ends on the dead-letter topic.
 *
 * @example
 * ```ts
 * const consumer = createMessageConsumer({
 *   messages, transport, handler: createFootageHandler({ output: './data/footage.csv' }),
 * });
 * await consumer.start();
 * ```
 */
export function createFootageHandler(options: FootageHandlerOptions): MessageHandler {
  const type = options.type ?? FOOTAGE_MESSAGE_TYPE;
  const capacity = options.rememberIds ?? 10_000;
  const csv = createCsvAppender({ path: options.output, header: FOOTAGE_CSV_HEADER });
  // Insertion-ordered: the first key is the oldest, evicted when the set is full.
  const written = new Set<string>();
  const inFlight = new Map<string, Promise<void>>();

  const write = async (message: StoredMessage): Promise<void> => {
    const parsed = footageMessageSchema.safeParse(message.data);
    if (!parsed.success) {
      throw new PlaytallyError(
        'VALIDATION_FAILED',
        `footage message ${message.id} is invalid: ${parsed.error.issues
          .map((issue) => `${issue.path.map(String).join('.') || '(root)'}: ${issue.message}`)
          .join('; ')}`,
        { details: { messageId: message.id, issues: parsed.error.issues } },
      );
    }
    await csv.append(formatPredictionRows(parsed.data.data.preds));
    written.add(message.id);
    if (written.size > capacity) {
      const oldest = written.values().next().value;
      if (oldest !== undefined) written.delete(oldest);
    }
  };

  return async (message) => {
    if (message.type !== type || written.has(message.id)) return;
    // A duplicate delivered while the first is still being written waits for that write.
    const running = inFlight.get(message.id);
    if (running) return running;
    const writing = write(message).finally(() => inFlight.delete(message.id));
    inFlight.set(message.id, writing);
    return writing;
  };
}
