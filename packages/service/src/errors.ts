export {
  describeConnectionError,
  errorMessage,
  isPlaytallyError,
  PlaytallyError,
  type PlaytallyErrorCode,
} from '@playtally/transport';

declare module '@playtally/core' {
  /** The error codes of the service layer (jobs, messages, stores). */
  interface PlaytallyErrorCodes {
    /** No job, message or blob with that id or key. */
    NOT_FOUND: true;
    /** More bytes than the configured limit. */
    PAYLOAD_TOO_LARGE: true;
    /** A database or blob store failed for good; the message names the component, not its URL. */
    STORE_ERROR: true;
    /**
     * A database or blob store is unreachable for now (connection lost, server restarting,
     * locked): retry later. `details.component` names it (`database`, `storage`).
     */
    STORE_UNAVAILABLE: true;
    /** The disk (or the database's disk) is full or read-only; `details.component` names it. */
    STORAGE_FULL: true;
    /** The outbox holds more events than its limit: the broker is away or slow. */
    BACKLOG_FULL: true;
    /** An `Idempotency-Key` was reused with a different request. */
    IDEMPOTENCY_KEY_REUSED: true;
    /** A dependency is not ready (used by readiness checks). */
    NOT_READY: true;
  }
}

/** The part of the system an infrastructure error comes from, as public answers name it. */
export type FailingComponent = 'database' | 'broker' | 'storage';

/**
 * True for errors that mean "the database is away for now": a worker waits for it rather than
 * failing or redelivering its task.
 */
export function isDatabaseUnavailable(error: unknown): boolean {
  if (typeof error !== 'object' || error === null || !('code' in error)) return false;
  const { code } = error as { code: unknown };
  const component = (error as { details?: { component?: unknown } }).details?.component;
  return (
    (code === 'STORE_UNAVAILABLE' || code === 'STORAGE_FULL') &&
    (component === undefined || component === 'database')
  );
}
