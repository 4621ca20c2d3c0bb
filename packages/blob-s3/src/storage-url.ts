import { PlaytallyError } from '@playtally/service';

/** What an `s3://` storage URL says. */
export interface S3StorageUrl {
  readonly bucket: string;
  /** Folder of every blob inside the bucket, without leading or trailing `/`; `''` for the root. */
  readonly prefix: string;
  /** An S3-compatible server's `http(s)://host:port`; `undefined` means AWS. */
  readonly endpoint: string | undefined;
  /** Path-style addressing (`endpoint/bucket/key`); on by default with an `endpoint`. */
  readonly forcePathStyle: boolean;
  readonly region: string | undefined;
}

const PARAMETERS = new Set(['endpoint', 'forcePathStyle', 'region']);
/** S3's rules for bucket names (3-63 lower-case letters, digits, `.` and `-`). */
const BUCKET = /^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$/;
const PREFIX_SEGMENT = /^[A-Za-z0-9._-]+$/;
const REGION = /^[a-z0-9-]{1,40}$/;

function invalid(url: string, problem: string): PlaytallyError {
  return new PlaytallyError('CONFIG_INVALID', `STORAGE_URL ${url}: ${problem}`, {
    details: { url },
  });
}

/**
 * Reads `s3://bucket/prefix?endpoint=http://127.0.0.1:9000&forcePathStyle=true&region=us-east-1`.
 * Plain `s3://bucket/prefix` means AWS (region and credentials from the SDK's standard chain).
 * Rejects with `CONFIG_INVALID`, naming the problem, a URL without a bucket, with credentials in
 * it (they belong in `AWS_ACCESS_KEY_ID` / `AWS_SECRET_ACCESS_KEY`), or with unknown parameters.
 *
 * @example
 * ```ts
 * import { parseS3StorageUrl } from '@playtally/blob-s3';
 * parseS3StorageUrl('s3://plays/blobs?endpoint=http://127.0.0.1:9000');
 * // { bucket: 'plays', prefix: 'blobs', endpoint: 'http://127.0.0.1:9000', forcePathStyle: true, region: undefined }
 * ```
 */
export function parseS3StorageUrl(url: string): S3StorageUrl {
  const text = url.trim();
  const match = /^s3:\/\/([^/?#]*)([^?#]*)(\?[^#]*)?$/i.exec(text);
  if (match === null) throw invalid(text, 'expected s3://bucket/prefix?endpoint=…');
  const authority = match[1] ?? '';
  if (authority.includes('@')) {
    throw invalid(
      's3://***@…',
      'credentials do not go in the URL; set AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY (or AWS_PROFILE)',
    );
  }
  if (authority === '') throw invalid(text, 'names no bucket (s3://bucket/prefix)');
  if (!BUCKET.test(authority) || authority.includes('..')) {
    throw invalid(
      text,
      `"${authority}" is not a valid bucket name (3-63 lower-case letters, digits, "." or "-")`,
    );
  }
  const segments = (match[2] ?? '').split('/').filter((segment) => segment !== '');
  for (const segment of segments) {
    if (!PREFIX_SEGMENT.test(segment) || segment === '.' || segment === '..') {
      throw invalid(
        text,
        `the prefix segment "${segment}" must be letters, digits, ".", "_" or "-" (and not . or ..)`,
      );
    }
  }
  const query = new URLSearchParams(match[3] ?? '');
  for (const name of query.keys()) {
    if (!PARAMETERS.has(name)) {
      throw invalid(text, `unknown parameter "${name}"; known: ${[...PARAMETERS].join(', ')}`);
    }
  }
  const endpoint = query.get('endpoint') ?? undefined;
  if (endpoint !== undefined && !isHttpUrl(endpoint)) {
    throw invalid(text, `endpoint must be an http:// or https:// URL, got "${endpoint}"`);
  }
  const pathStyle = query.get('forcePathStyle');
  if (pathStyle !== null && pathStyle !== 'true' && pathStyle !== 'false') {
    throw invalid(text, `forcePathStyle must be true or false, got "${pathStyle}"`);
  }
  const region = query.get('region') ?? undefined;
  if (region !== undefined && !REGION.test(region)) {
    throw invalid(text, `region must look like us-east-1, got "${region}"`);
  }
  return {
    bucket: authority,
    prefix: segments.join('/'),
    endpoint,
    forcePathStyle: pathStyle === null ? endpoint !== undefined : pathStyle === 'true',
    region,
  };
}

function isHttpUrl(value: string): boolean {
  try {
    const parsed = new URL(value);
    return (parsed.protocol === 'http:' || parsed.protocol === 'https:') && parsed.username === '';
  } catch {
    return false;
  }
}
