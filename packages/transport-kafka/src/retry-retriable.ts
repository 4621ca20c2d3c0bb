import { sleepUnlessAborted } from '@playtally/transport';

/**
 * Runs `work` again while it fails with an error Kafka marks retriable (a topic another process
 * is creating has no leader yet, a coordinator is still loading), with backoff from 100 ms to
 * 1 s, for at most `timeoutMs`; other errors, and the last one past the deadline, are thrown.
 */
export async function retryRetriable<T>(work: () => Promise<T>, timeoutMs: number): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  const never = new AbortController().signal;
  for (let attempt = 0; ; attempt++) {
    try {
      return await work();
    } catch (error) {
      const retriable = (error as { retriable?: unknown } | null)?.retriable === true;
      if (!retriable || Date.now() >= deadline) throw error;
      await sleepUnlessAborted(Math.min(1000, 100 * 2 ** attempt), never);
    }
  }
}
