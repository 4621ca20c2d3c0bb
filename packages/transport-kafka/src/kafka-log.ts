import type { Logger } from '@playtally/transport';
import { type logCreator, logLevel } from 'kafkajs';

/**
 * kafkajs' log lines, sent to `logger` (pino or any {@link Logger}) at their own level instead
 * of kafkajs' console format; their fields (broker, groupId, error…) become the line's fields.
 * A topic that already exists is not an error: kafkajs' connection logs the broker's answer to
 * `CreateTopics` as one although the admin client treats it as success (and rethrows any other
 * creation error, which the transport reports), so that answer is logged at debug.
 */
export function kafkaLogCreator(logger: Logger): logCreator {
  return () =>
    ({ namespace, level, log }) => {
      const { message, timestamp: _timestamp, logger: _source, ...fields } = log;
      const line = { ...fields, namespace };
      const text = `kafka: ${message}`;
      if (isCreateTopicsAnswer(message, fields)) return logger.debug(line, text);
      if (level === logLevel.ERROR || level === logLevel.NOTHING) logger.error(line, text);
      else if (level === logLevel.WARN) logger.warn(line, text);
      else if (level === logLevel.INFO) logger.info(line, text);
      else logger.debug(line, text);
    };
}

function isCreateTopicsAnswer(message: string, fields: Record<string, unknown>): boolean {
  return message.startsWith('Response CreateTopics') && fields.error === 'Topic creation errors';
}
