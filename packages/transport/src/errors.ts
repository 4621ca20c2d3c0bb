export {
  errorMessage,
  isPlaytallyError,
  PlaytallyError,
  type PlaytallyErrorCode,
} from '@playtally/core';

declare module '@playtally/core' {
  /** The error codes of the transport layer. */
  interface PlaytallyErrorCodes {
    /** A broker refused or failed an operation; the message names the transport and topic. */
    TRANSPORT_ERROR: true;
    /** `publish` or `subscribe` after `close()` began. */
    TRANSPORT_CLOSED: true;
    /** `createTransport` was given a URL whose scheme no adapter handles. */
    UNKNOWN_TRANSPORT: true;
    /** The adapter package a URL needs (or its client library) is not installed. */
    ADAPTER_NOT_INSTALLED: true;
  }
}
