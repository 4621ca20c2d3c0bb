import { isPlaytallyError, PlaytallyError } from '@playtally/service';

/**
 * Runs one store operation, turning a driver error into `STORE_ERROR` whose message names the
 * store and the operation (`sqlite job store: transition j1 failed: SQLITE_BUSY …`). Errors that
 * already are {@link PlaytallyError}s pass through unchanged.
 */
export async function storeOperation<T>(
  label: string,
  operation: string,
  run: () => Promise<T>,
): Promise<T> {
  try {
    return await run();
  } catch (error) {
    if (isPlaytallyError(error)) throw error;
    const reason = error instanceof Error ? error.message : String(error);
    throw new PlaytallyError('STORE_ERROR', `${label}: ${operation} failed: ${reason}`, {
      cause: error,
    });
  }
}

/** Tracks a store's closed state; `assertOpen` rejects calls after `close` with `STORE_ERROR`. */
export function createClosedFlag(label: string): { assertOpen(): void; close(): boolean } {
  let closed = false;
  return {
    assertOpen() {
      if (closed) throw new PlaytallyError('STORE_ERROR', `${label} is closed`);
    },
    /** Marks it closed; true on the first call only. */
    close() {
      if (closed) return false;
      closed = true;
      return true;
    },
  };
}
