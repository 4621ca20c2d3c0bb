declare module '@playtally/core' {
  /** The error codes only HTTP requests can meet. */
  interface PlaytallyErrorCodes {
    /** The request's body is of a media type the route does not take. */
    UNSUPPORTED_MEDIA_TYPE: true;
    /** An API key is required and was missing or wrong. */
    UNAUTHORIZED: true;
    /** A plain request to a WebSocket-only route. */
    UPGRADE_REQUIRED: true;
    /** An upload stopped sending for longer than the idle timeout. */
    REQUEST_TIMEOUT: true;
    /** As many uploads as allowed are already in progress. */
    TOO_MANY_UPLOADS: true;
  }
}

/** The error codes `@playtally/http` adds to `PlaytallyErrorCode`. */
export type HttpErrorCode =
  | 'UNSUPPORTED_MEDIA_TYPE'
  | 'UNAUTHORIZED'
  | 'UPGRADE_REQUIRED'
  | 'REQUEST_TIMEOUT'
  | 'TOO_MANY_UPLOADS';
