import { isPlaytallyError, PlaytallyError } from '@playtally/service';

/**
 * Whether an operation may simply run again after a failure: `read`s always may; `write`s only
 * when the failure proves nothing was applied (no connection, a rolled-back transaction),
 * because a write that may have committed cannot be told apart from one that did not.
 */
export type StoreAccess = 'read' | 'write';

/** What went wrong, as far as retrying goes. */
type FailureKind = 'not-applied' | 'connection-lost' | 'disk-full' | 'permanent';

const NOT_APPLIED = new Set([
  'ECONNREFUSED',
  'ENOTFOUND',
  'EAI_AGAIN',
  '57P03', // cannot_connect_now: the server is starting or stopping
  '40001', // serialization_failure: rolled back
  '40P01', // deadlock_detected: rolled back
  '55P03', // lock_not_available
  'SQLITE_BUSY',
  'SQLITE_LOCKED',
]);
const CONNECTION_LOST = new Set([
  '57P01', // admin_shutdown
  '57P02', // crash_shutdown
  '08000',
  '08001',
  '08003',
  '08004',
  '08006',
  'ECONNRESET',
  'EPIPE',
  'ETIMEDOUT',
]);
const DISK_FULL = new Set(['53100', 'SQLITE_FULL', 'ENOSPC', '25006', 'SQLITE_READONLY']);
const LOST_MESSAGES = [
  'connection terminated',
  'terminating connection',
  'connection error',
  'not queryable',
  'timeout exceeded when trying to connect',
];

function classify(error: unknown): FailureKind {
  const code = String((error as { code?: unknown } | undefined)?.code ?? '');
  if (NOT_APPLIED.has(code) || code.startsWith('SQLITE_BUSY')) return 'not-applied';
  if (DISK_FULL.has(code) || code.startsWith('SQLITE_FULL')) return 'disk-full';
  if (CONNECTION_LOST.has(code)) return 'connection-lost';
  const message = error instanceof Error ? error.message.toLowerCase() : '';
  if (message.includes('trying to connect')) return 'not-applied';
  if (LOST_MESSAGES.some((text) => message.includes(text))) return 'connection-lost';
  return 'permanent';
}

const RETRY_DELAYS_MS = [100, 400, 1200];

/**
 * A store's runner: each operation first checks the store is still open, then runs as a
 * {@link storeOperation} (retried where that is safe). Reads by default.
 */
export function storeRunner(label: string, assertOpen: () => void) {
  return <T>(operation: string, action: () => Promise<T>, access: StoreAccess = 'read') =>
    storeOperation(
      label,
      operation,
      async () => {
        assertOpen();
        return action();
      },
      access,
    );
}

/**
 * Runs one store operation. Transient failures (connection refused or lost, server shutting
 * down, `SQLITE_BUSY`) are retried with backoff where `access` makes that safe; what remains is
 * turned into a typed error whose message names the store and the operation (for the log;
 * public answers name only the component):
 * - `STORE_UNAVAILABLE` for transient failures (the database is away: retry later),
 * - `STORAGE_FULL` for a full or read-only disk (`SQLITE_FULL`, `disk_full`),
 * - `STORE_ERROR` for anything else.
 * All carry `details.component = 'database'`. {@link PlaytallyError}s pass through unchanged.
 */
export async function storeOperation<T>(
  label: string,
  operation: string,
  run: () => Promise<T>,
  access: StoreAccess = 'write',
): Promise<T> {
  for (let attempt = 0; ; attempt += 1) {
    try {
      return await run();
    } catch (error) {
      if (isPlaytallyError(error)) throw error;
      const kind = classify(error);
      const retryable = kind === 'not-applied' || (kind === 'connection-lost' && access === 'read');
      const delay = RETRY_DELAYS_MS[attempt];
      if (retryable && delay !== undefined) {
        await new Promise((resolve) => setTimeout(resolve, delay));
        continue;
      }
      throw storeError(label, operation, error, kind);
    }
  }
}

function storeError(label: string, operation: string, error: unknown, kind: FailureKind) {
  const reason = error instanceof Error ? error.message : String(error);
  const message = `${label}: ${operation} failed: ${reason}`;
  if (kind === 'disk-full') {
    return new PlaytallyError('STORAGE_FULL', `${message} (the database's disk is full)`, {
      cause: error,
      details: { component: 'database', reason: 'disk full' },
    });
  }
  if (kind === 'permanent') {
    return new PlaytallyError('STORE_ERROR', message, {
      cause: error,
      details: { component: 'database' },
    });
  }
  return new PlaytallyError('STORE_UNAVAILABLE', message, {
    cause: error,
    details: { component: 'database', retryAfterSeconds: 2 },
  });
}

/** Tracks a store's closed state; `assertOpen` rejects calls after `close` with `STORE_ERROR`. */
export function createClosedFlag(label: string): { assertOpen(): void; close(): boolean } {
  let closed = false;
  return {
    assertOpen() {
      if (closed) {
        throw new PlaytallyError('STORE_ERROR', `${label} is closed`, {
          details: { component: 'database' },
        });
      }
    },
    /** Marks it closed; true on the first call only. */
    close() {
      if (closed) return false;
      closed = true;
      return true;
    },
  };
}
