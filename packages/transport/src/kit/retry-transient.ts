import { sleepUnlessAborted } from '../sleep.js';

const never = new AbortController().signal;

/**
 * Runs `work` again while it fails with an error `isTransient` accepts (a connection being
 * lost, a Kafka error marked retriable), with backoff from 100 ms doubling to 1 s, for at most
 * `timeoutMs`; other errors, and the last one once the time is up, are thrown. For adapters
 * that carry an operation through a short broker outage.
 *
 * @example
 * ```ts
 * import { retryTransient } from '@playtally/transport';
 * const answer = await retryTransient(() => fetch('http://127.0.0.1:8080/'), (error) => error instanceof TypeError, 5000);
 * ```
 */
export async function retryTransient<T>(
  work: () => Promise<T>,
  isTransient: (error: unknown) => boolean,
  timeoutMs: number,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (let attempt = 0; ; attempt += 1) {
    try {
      return await work();
    } catch (error) {
      if (!isTransient(error) || Date.now() >= deadline) throw error;
      await sleepUnlessAborted(
        Math.min(1000, 100 * 2 ** attempt, Math.max(0, deadline - Date.now())),
        never,
      );
    }
  }
}
