import { describe, expect, it } from 'vitest';
import { retryRetriable } from './retry-retriable.js';

const retriable = (message: string) => Object.assign(new Error(message), { retriable: true });

describe('retryRetriable', () => {
  it('tries again while Kafka says the error is retriable, then returns the result', async () => {
    let calls = 0;
    const result = await retryRetriable(async () => {
      calls += 1;
      if (calls < 3) throw retriable('This server is not the leader for that topic-partition');
      return 'done';
    }, 5000);
    expect(result).toBe('done');
    expect(calls).toBe(3);
  });

  it('throws an error that is not retriable at once', async () => {
    let calls = 0;
    const fatal = new Error('Topic authorization failed');
    await expect(
      retryRetriable(async () => {
        calls += 1;
        throw fatal;
      }, 5000),
    ).rejects.toBe(fatal);
    expect(calls).toBe(1);
  });

  it('gives up with the last error once the time is up', async () => {
    let calls = 0;
    await expect(
      retryRetriable(async () => {
        calls += 1;
        throw retriable(`attempt ${calls}`);
      }, 250),
    ).rejects.toThrow(/attempt \d+/);
    expect(calls).toBeGreaterThan(1);
  });
});
