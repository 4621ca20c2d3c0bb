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
    /** A database or blob store failed; the message names the component, not its URL. */
    STORE_ERROR: true;
    /** A dependency is not ready (used by readiness checks). */
    NOT_READY: true;
  }
}
