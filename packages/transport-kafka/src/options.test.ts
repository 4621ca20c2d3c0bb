import { isPlaytallyError } from '@playtally/transport';
import { describe, expect, it } from 'vitest';
import { resolveBrokers, resolveKafkaOptions } from './options.js';

describe('kafka transport options', () => {
  it('reads brokers from a list, a comma-separated string or a kafka:// URL', () => {
    expect(resolveBrokers({ brokers: ['a:9092', 'b:9093'] })).toEqual(['a:9092', 'b:9093']);
    expect(resolveBrokers({ brokers: 'a:9092, b:9093' })).toEqual(['a:9092', 'b:9093']);
    expect(resolveBrokers({ url: 'kafka://a:9092,b' })).toEqual(['a:9092', 'b:9092']);
    expect(resolveBrokers({})).toEqual(['127.0.0.1:9092']);
  });

  it('rejects a URL of another scheme and an empty broker list with CONFIG_INVALID', () => {
    for (const options of [{ url: 'amqp://localhost' }, { brokers: ' , ' }]) {
      const error = (() => {
        try {
          resolveBrokers(options);
        } catch (e) {
          return e;
        }
      })();
      expect(isPlaytallyError(error, 'CONFIG_INVALID')).toBe(true);
    }
  });

  it('applies defaults and refuses a heartbeat no shorter than the session timeout', () => {
    expect(resolveKafkaOptions({})).toMatchObject({
      partitions: 3,
      idempotent: false,
      closeTimeoutMs: 10_000,
    });
    expect(() =>
      resolveKafkaOptions({ sessionTimeoutMs: 3000, heartbeatIntervalMs: 3000 }),
    ).toThrow(/heartbeatIntervalMs \(3000\) must be lower than sessionTimeoutMs \(3000\)/);
    expect(() => resolveKafkaOptions({ partitions: 0 })).toThrow(
      /partitions must be a positive integer/,
    );
  });
});
