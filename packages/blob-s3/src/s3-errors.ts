import { PlaytallyError } from '@playtally/service';

/** Why an S3 request failed, as far as a person fixing it needs to know. */
export type S3FailureReason =
  | 'bucket-missing'
  | 'credentials-refused'
  | 'credentials-missing'
  | 'unreachable'
  | 'failed';

/** Where the store talks to: named in every error, never with credentials. */
export interface S3Location {
  readonly bucket: string;
  /** `http://host:port` of an S3-compatible server, or `undefined` for AWS. */
  readonly endpoint: string | undefined;
}

const REFUSED = new Set([
  'AccessDenied',
  'InvalidAccessKeyId',
  'SignatureDoesNotMatch',
  'InvalidToken',
  'ExpiredToken',
  'TokenRefreshRequired',
  'AllAccessDisabled',
]);

const UNREACHABLE = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'ENOTFOUND',
  'EAI_AGAIN',
  'ETIMEDOUT',
  'EPIPE',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'TimeoutError',
  'RequestTimeout',
]);

interface AwsErrorShape {
  name?: string;
  code?: string;
  Code?: string;
  message?: string;
  $metadata?: { httpStatusCode?: number };
}

/** The reason behind an error the AWS SDK (or the network under it) threw. */
export function classifyS3Error(error: unknown, operation?: string): S3FailureReason {
  const shape = (typeof error === 'object' && error !== null ? error : {}) as AwsErrorShape;
  const names = [shape.name, shape.code, shape.Code].filter((n): n is string => Boolean(n));
  const status = shape.$metadata?.httpStatusCode;
  if (names.includes('NoSuchBucket')) return 'bucket-missing';
  // HEAD answers carry no body, so a missing bucket is only a bare 404 there.
  if (operation === 'HeadBucket' && status === 404) return 'bucket-missing';
  if (names.includes('CredentialsProviderError')) return 'credentials-missing';
  if (names.some((name) => REFUSED.has(name)) || status === 403) return 'credentials-refused';
  if (names.some((name) => UNREACHABLE.has(name))) return 'unreachable';
  return 'failed';
}

/** `http://host:port` of an endpoint without credentials or path, or "AWS S3". */
export function describeEndpoint(endpoint: string | undefined): string {
  if (endpoint === undefined) return 'AWS S3';
  try {
    return new URL(endpoint).origin;
  } catch {
    return 'the configured endpoint';
  }
}

/**
 * A `STORE_ERROR` for an S3 request that failed, saying in words what to fix: a missing bucket,
 * refused or missing credentials, an endpoint that does not answer. `doing` names the operation
 * and its key ("writing uploads/…"). The SDK's error stays as `cause`.
 */
export function s3StoreError(
  error: unknown,
  doing: string,
  location: S3Location,
  operation?: string,
): PlaytallyError {
  const reason = classifyS3Error(error, operation);
  const where = describeEndpoint(location.endpoint);
  const detail = error instanceof Error ? `${error.name}: ${error.message}` : String(error);
  const explanation: Record<S3FailureReason, string> = {
    'bucket-missing': `the bucket "${location.bucket}" does not exist at ${where}; create it or fix STORAGE_URL`,
    'credentials-refused': `${where} refused the credentials for bucket "${location.bucket}" (${detail}); check AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY, or the AWS profile`,
    'credentials-missing': `no AWS credentials were found (${detail}); set AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY, or AWS_PROFILE`,
    unreachable: `the connection to ${where} failed (${detail})`,
    failed: detail,
  };
  const status = (error as AwsErrorShape | undefined)?.$metadata?.httpStatusCode;
  return new PlaytallyError(
    'STORE_ERROR',
    `s3 blob store: ${doing} failed: ${explanation[reason]}`,
    {
      cause: error,
      details: {
        bucket: location.bucket,
        endpoint: where,
        reason,
        ...(status === undefined ? {} : { status }),
      },
    },
  );
}
