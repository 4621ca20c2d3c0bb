/**
 * Waits `ms` milliseconds. Resolves `true` when the time has passed, or `false` at once when
 * `signal` is (or becomes) aborted, so a backoff never holds up a closing subscription.
 * Adapters use it between redelivery attempts and reconnects.
 */
export function sleepUnlessAborted(ms: number, signal: AbortSignal): Promise<boolean> {
  if (signal.aborted) return Promise.resolve(false);
  return new Promise((resolve) => {
    const onAbort = () => {
      clearTimeout(timer);
      resolve(false);
    };
    const timer = setTimeout(() => {
      signal.removeEventListener('abort', onAbort);
      resolve(true);
    }, ms);
    signal.addEventListener('abort', onAbort, { once: true });
  });
}
