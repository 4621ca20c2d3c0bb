import { randomBytes } from 'node:crypto';
import { createCloudEvent, createTransport, type Logger } from '@playtally/transport';
import { requireService } from '@playtally/transport/testing';
import { logLevel } from 'kafkajs';
import { describe, expect, it } from 'vitest';
import { createTestKafka, deleteTopics, probeKafka, TEST_BROKERS } from '../test/test-broker.js';
import { kafkaLogCreator } from './kafka-log.js';

interface Line {
  level: 'debug' | 'info' | 'warn' | 'error';
  fields: Record<string, unknown>;
  message: string;
}

function capturingLogger(lines: Line[], bindings: Record<string, unknown> = {}): Logger {
  const at =
    (level: Line['level']) =>
    (fields: Record<string, unknown> | string, message?: string): void => {
      if (typeof fields === 'string') lines.push({ level, fields: bindings, message: fields });
      else lines.push({ level, fields: { ...bindings, ...fields }, message: message ?? '' });
    };
  return {
    debug: at('debug'),
    info: at('info'),
    warn: at('warn'),
    error: at('error'),
    child: (more) => capturingLogger(lines, { ...bindings, ...more }),
  };
}

const entry = (level: logLevel, message: string, extra: Record<string, unknown> = {}) => ({
  namespace: 'Connection',
  level,
  label: 'X',
  log: { message, timestamp: '2026-01-01T00:00:00.000Z', logger: 'kafkajs', ...extra },
});

describe('kafkajs log lines', () => {
  it('go to the logger at their own level, with their fields', () => {
    const lines: Line[] = [];
    const log = kafkaLogCreator(capturingLogger(lines))(logLevel.DEBUG);
    log(entry(logLevel.ERROR, 'Connection error', { broker: 'b:9092' }));
    log(entry(logLevel.WARN, 'The group is rebalancing'));
    log(entry(logLevel.INFO, 'Consumer has joined the group'));
    log(entry(logLevel.DEBUG, 'Request Metadata'));
    expect(lines).toEqual([
      {
        level: 'error',
        fields: { broker: 'b:9092', namespace: 'Connection' },
        message: 'kafka: Connection error',
      },
      {
        level: 'warn',
        fields: { namespace: 'Connection' },
        message: 'kafka: The group is rebalancing',
      },
      {
        level: 'info',
        fields: { namespace: 'Connection' },
        message: 'kafka: Consumer has joined the group',
      },
      { level: 'debug', fields: { namespace: 'Connection' }, message: 'kafka: Request Metadata' },
    ]);
  });

  it('report the broker saying a topic exists at debug, not as an error', () => {
    const lines: Line[] = [];
    kafkaLogCreator(capturingLogger(lines))(logLevel.DEBUG)(
      entry(logLevel.ERROR, 'Response CreateTopics(key: 19, version: 3)', {
        error: 'Topic creation errors',
      }),
    );
    expect(lines.map((line) => line.level)).toEqual(['debug']);
  });
});

const available = await requireService(`Kafka at ${TEST_BROKERS.join(',')}`, probeKafka);

describe.skipIf(!available)('a kafka transport created from TRANSPORT_URL with a logger', () => {
  it('starts on topics that already exist without logging an error', async () => {
    const topic = `kafka-log-test.${randomBytes(4).toString('hex')}`;
    const url = `kafka://${TEST_BROKERS.join(',')}`;
    const event = createCloudEvent({ type: 'test', source: '/test', data: { n: 1 } });
    const first = await createTransport(url, { logger: capturingLogger([]) });
    try {
      await first.publish(topic, event);
    } finally {
      await first.close();
    }
    const lines: Line[] = [];
    const second = await createTransport(url, { logger: capturingLogger(lines) });
    try {
      await second.publish(topic, event);
    } finally {
      await second.close();
      await deleteTopics(createTestKafka(), [topic]);
    }
    expect(lines.filter((line) => line.level === 'error')).toEqual([]);
    expect(lines.some((line) => line.message.startsWith('kafka: Response CreateTopics'))).toBe(
      true,
    );
  });
});
