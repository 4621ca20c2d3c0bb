import { describe, expect, it } from 'vitest';
import { retryTransient } from './retry-transient.js';

const isRetriable = (error: unknown) => (error as { retriable?: unknown }).retriable === true;

const retriable = (message: string) => Object.assign(new Error(message), { retriable: true });

describe('retryTransient', () => {
  it('tries again while the error is transient, then returns the result', async () => {
    let calls = 0;
    const result = await retryTransient(
      async () => {
        calls += 1;
        if (calls < 3) throw retriable('This server is not the leader for that topic-partition');
        return 'done';
      },
      isRetriable,
      5000,
    );
    expect(result).toBe('done');
    expect(calls).toBe(3);
  });

  it('throws an error that is not transient at once', async () => {
    let calls = 0;
    const fatal = new Error('Topic authorization failed');
    await expect(
      retryTransient(
        async () => {
          calls += 1;
          throw fatal;
        },
        isRetriable,
        5000,
      ),
    ).rejects.toBe(fatal);
    expect(calls).toBe(1);
  });

  it('gives up with the last error once the time is up', async () => {
    let calls = 0;
    await expect(
      retryTransient(
        async () => {
          calls += 1;
          throw retriable(`attempt ${calls}`);
        },
        isRetriable,
        250,
      ),
    ).rejects.toThrow(/attempt \d+/);
    expect(calls).toBeGreaterThan(1);
  });
});
