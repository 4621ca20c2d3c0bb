import { Readable } from 'node:stream';
import {
  DeleteObjectCommand,
  GetObjectCommand,
  HeadBucketCommand,
  HeadObjectCommand,
  S3Client,
  type S3ClientConfig,
} from '@aws-sdk/client-s3';
import {
  type BlobInfo,
  type BlobRange,
  type BlobStore,
  type ByteSource,
  checkBlobPrefix,
  checkBlobRange,
  isPlaytallyError,
  newBlobKey,
  PlaytallyError,
  type PutBlobOptions,
  parseBlobKey,
} from '@playtally/service';
import { meterSource } from './metered-source.js';
import { deleteFolder } from './prefix-deletion.js';
import { classifyS3Error, type S3Location, s3StoreError } from './s3-errors.js';
import { readStreamOf } from './s3-read-stream.js';
import { MAX_SINGLE_PUT_BYTES, putObjectStream, uploadObject } from './s3-upload.js';
import { abortStaleUploads, type StaleUploadOptions } from './stale-uploads.js';
import { parseS3StorageUrl } from './storage-url.js';

/** Options of {@link createS3BlobStore}: a `url`, or a `bucket` and the rest one by one. */
export interface S3BlobStoreOptions {
  /**
   * `s3://bucket/prefix?endpoint=…&forcePathStyle=…&region=…` (see `parseS3StorageUrl`); the
   * fields below override what it says. @default undefined
   */
  url?: string;
  /** The bucket; it must exist. Required unless `url` names it. */
  bucket?: string;
  /** Folder of every blob in the bucket (`<prefix>/uploads/<uuid>`). @default '' (the bucket's root) */
  prefix?: string;
  /** An S3-compatible server, `http(s)://host:port`. @default undefined (AWS) */
  endpoint?: string;
  /** Path-style addressing (`endpoint/bucket/key`), which most S3-compatible servers need. @default true with an `endpoint`, else false */
  forcePathStyle?: boolean;
  /**
   * The region to sign for. @default the SDK's chain (`AWS_REGION`, the profile); with an
   * `endpoint` and nothing configured, `us-east-1`
   */
  region?: string;
  /**
   * An `S3Client` you own (its endpoint, region and credentials are then yours; `close()` leaves
   * it open). Without it the store makes one: credentials come from the SDK's standard chain
   * (`AWS_ACCESS_KEY_ID`/`AWS_SECRET_ACCESS_KEY`, `AWS_PROFILE`, SSO, instance roles).
   * @default undefined
   */
  client?: S3Client;
  /**
   * Credentials of the store's own client, or a provider of them.
   * @default the SDK's standard chain
   */
  credentials?: S3ClientConfig['credentials'];
  /** Bytes per part of a multipart upload; at least 5 MiB. @default 8388608 (8 MiB) */
  partSize?: number;
  /** Parts uploaded at once by one `put`. @default 4 */
  queueSize?: number;
  /**
   * When the store's own client adds the SDK's flexible checksums: `when-required` (only where
   * an operation demands one) works with every S3-compatible server and spares the CPU; TLS and
   * S3's own checks still protect the bytes. @default 'when-required'
   */
  checksums?: 'when-required' | 'when-supported';
  /** Connection timeout of the store's own client, in ms. @default 10000 */
  connectionTimeoutMs?: number;
  /** A request whose socket stays idle this long fails (and is retried). @default 120000 */
  socketTimeoutMs?: number;
}

/** A {@link BlobStore} on an S3 bucket, with what only a bucket needs. */
export interface S3BlobStore extends BlobStore {
  readonly bucket: string;
  /** Folder of every blob in the bucket, `''` for its root. */
  readonly prefix: string;
  /** Checks the bucket exists and takes this process's credentials (`HeadBucket`). */
  ping(): Promise<void>;
  /**
   * Aborts multipart uploads under the store's prefix started more than `olderThanMs` ago:
   * those of processes killed mid-`put`. Resolves with how many were aborted.
   */
  abortStaleUploads(options?: StaleUploadOptions): Promise<number>;
  /** Closes the client the store made (not one passed in). Idempotent. */
  close(): Promise<void>;
}

const MIN_PART_SIZE = 5 * 1024 * 1024;

/**
 * A {@link BlobStore} on any S3-compatible object store (AWS S3, MinIO, Cloudflare R2, Google
 * Cloud Storage's XML API, S3Proxy). Keys are `<prefix>/<uuid>` as in every store, checked on
 * every call, and live under the store's `prefix` in the bucket.
 *
 * `put` streams the source into the blob's final key: in one streamed `PutObject` when its size
 * is known (`expectedBytes`, up to 5 GiB), else with `@aws-sdk/lib-storage` (multipart past one
 * part; about `partSize × (queueSize + 1)` bytes in memory, never the file). S3 shows an
 * object only once its upload completes, so readers see all of it or nothing; a failed,
 * aborted or oversized `put` aborts its request or multipart upload, leaving no object and no
 * parts.
 * `read` streams the object (or a byte range, with a `Range` request) from the network.
 * Failures of S3 reject with `STORE_ERROR` saying what to fix.
 *
 * @example
 * ```ts
 * import { createReadStream } from 'node:fs';
 * import { createS3BlobStore } from '@playtally/blob-s3';
 * const blobs = createS3BlobStore({ url: 's3://playtally/blobs?endpoint=http://127.0.0.1:9000' });
 * await blobs.ping();
 * const { key, size } = await blobs.put(createReadStream('plays.csv'), { prefix: 'uploads' });
 * (await blobs.read(key, { start: 0, end: 100 })).pipe(process.stdout);
 * await blobs.close();
 * ```
 */
export function createS3BlobStore(options: S3BlobStoreOptions): S3BlobStore {
  const fromUrl = options.url === undefined ? undefined : parseS3StorageUrl(options.url);
  const bucket = options.bucket ?? fromUrl?.bucket;
  if (bucket === undefined || bucket === '') {
    throw new PlaytallyError('CONFIG_INVALID', 's3 blob store: no bucket given (bucket or url)');
  }
  const prefix = (options.prefix ?? fromUrl?.prefix ?? '').replace(/^\/+|\/+$/g, '');
  const endpoint = options.endpoint ?? fromUrl?.endpoint;
  const partSize = options.partSize ?? 8 * 1024 * 1024;
  if (!Number.isSafeInteger(partSize) || partSize < MIN_PART_SIZE) {
    throw new PlaytallyError(
      'CONFIG_INVALID',
      `s3 blob store: partSize must be at least ${MIN_PART_SIZE} bytes (S3's minimum), got ${partSize}`,
    );
  }
  const queueSize = Math.max(1, options.queueSize ?? 4);
  const ownsClient = options.client === undefined;
  const client = options.client ?? makeClient(options, fromUrl, endpoint);
  const location: S3Location = { bucket, endpoint };
  const objectKeyOf = (key: string): string => (prefix === '' ? key : `${prefix}/${key}`);
  const fail = (error: unknown, doing: string, operation?: string): PlaytallyError =>
    s3StoreError(error, doing, location, operation);
  let closed = false;

  const stat = async (key: string): Promise<BlobInfo | undefined> => {
    if (parseBlobKey(key) === undefined) return undefined;
    try {
      const head = await client.send(
        new HeadObjectCommand({ Bucket: bucket, Key: objectKeyOf(key) }),
      );
      return { key, size: head.ContentLength ?? 0 };
    } catch (error) {
      if (isMissingObject(error)) return undefined;
      throw fail(error, `reading the size of ${key}`);
    }
  };

  return {
    bucket,
    prefix,

    async put(source: ByteSource, putOptions: PutBlobOptions = {}): Promise<BlobInfo> {
      const { key } = newBlobKey(putOptions.prefix);
      if (putOptions.signal?.aborted) {
        throw new PlaytallyError('ABORTED', 'Blob upload was aborted', {
          cause: putOptions.signal.reason,
        });
      }
      const { expectedBytes } = putOptions;
      const metered = meterSource(source, {
        maxBytes: putOptions.maxBytes,
        signal: putOptions.signal,
        exactBytes: expectedBytes,
      });
      const target = { client, bucket, objectKey: objectKeyOf(key) };
      try {
        // A known size fits one streamed PutObject (up to 5 GiB); otherwise parts.
        if (
          expectedBytes !== undefined &&
          expectedBytes <= MAX_SINGLE_PUT_BYTES &&
          expectedBytes <= (putOptions.maxBytes ?? Number.POSITIVE_INFINITY)
        ) {
          await putObjectStream(target, metered, expectedBytes);
        } else {
          await uploadObject({ ...target, partSize, queueSize }, metered);
        }
      } catch (error) {
        // The source's own failure (or maxBytes, or the abort) is what the caller must see, even
        // when lib-storage reports it wrapped or reports the clean-up that followed.
        const cause = metered.failure();
        if (cause !== undefined) throw cause;
        throw isPlaytallyError(error) ? error : fail(error, `writing ${key}`);
      }
      return { key, size: metered.bytes() };
    },

    async read(key: string, range?: BlobRange): Promise<Readable> {
      const { start, end } = checkBlobRange(key, range);
      if (parseBlobKey(key) === undefined) throw notFound(key);
      if (end !== undefined && end <= start) {
        if ((await stat(key)) === undefined) throw notFound(key);
        return Readable.from([]);
      }
      const whole = start === 0 && end === undefined;
      try {
        const answer = await client.send(
          new GetObjectCommand({
            Bucket: bucket,
            Key: objectKeyOf(key),
            ...(whole ? {} : { Range: `bytes=${start}-${end === undefined ? '' : end - 1}` }),
          }),
        );
        if (!(answer.Body instanceof Readable)) {
          throw new PlaytallyError('INTERNAL', `s3 blob store: ${key} came without a Node stream`);
        }
        return readStreamOf(answer.Body, (error) => fail(error, `reading ${key}`));
      } catch (error) {
        if (isPlaytallyError(error)) throw error;
        if (isMissingObject(error)) throw notFound(key);
        // 416: the range starts at or past the end of an object that exists.
        if (classifyS3Error(error) === 'failed' && statusOf(error) === 416)
          return Readable.from([]);
        throw fail(error, `reading ${key}`);
      }
    },

    stat,

    async delete(key: string): Promise<void> {
      if (parseBlobKey(key) === undefined) return;
      try {
        await client.send(new DeleteObjectCommand({ Bucket: bucket, Key: objectKeyOf(key) }));
      } catch (error) {
        if (isMissingObject(error)) return;
        throw fail(error, `deleting ${key}`);
      }
    },

    async deletePrefix(blobPrefix: string): Promise<void> {
      checkBlobPrefix(blobPrefix);
      try {
        await deleteFolder(client, bucket, objectKeyOf(blobPrefix));
      } catch (error) {
        throw fail(error, `deleting the blobs under ${blobPrefix}/`);
      }
    },

    async ping(): Promise<void> {
      try {
        await client.send(new HeadBucketCommand({ Bucket: bucket }));
      } catch (error) {
        throw fail(error, `checking the bucket "${bucket}"`, 'HeadBucket');
      }
    },

    async abortStaleUploads(staleOptions?: StaleUploadOptions): Promise<number> {
      try {
        return await abortStaleUploads(client, bucket, prefix, staleOptions);
      } catch (error) {
        throw fail(error, 'aborting stale multipart uploads');
      }
    },

    async close(): Promise<void> {
      if (closed) return;
      closed = true;
      if (ownsClient) client.destroy();
    },
  };
}

function makeClient(
  options: S3BlobStoreOptions,
  fromUrl: ReturnType<typeof parseS3StorageUrl> | undefined,
  endpoint: string | undefined,
): S3Client {
  const configuredRegion =
    options.region ?? fromUrl?.region ?? process.env.AWS_REGION ?? process.env.AWS_DEFAULT_REGION;
  // An S3-compatible server rarely cares about the region but the signature needs one.
  const region = configuredRegion ?? (endpoint === undefined ? undefined : 'us-east-1');
  const checksums = options.checksums === 'when-supported' ? 'WHEN_SUPPORTED' : 'WHEN_REQUIRED';
  return new S3Client({
    ...(region === undefined ? {} : { region }),
    ...(endpoint === undefined ? {} : { endpoint }),
    ...(options.credentials === undefined ? {} : { credentials: options.credentials }),
    forcePathStyle: options.forcePathStyle ?? fromUrl?.forcePathStyle ?? endpoint !== undefined,
    requestChecksumCalculation: checksums,
    responseChecksumValidation: checksums,
    requestHandler: {
      connectionTimeout: options.connectionTimeoutMs ?? 10_000,
      socketTimeout: options.socketTimeoutMs ?? 120_000,
    },
  });
}

function statusOf(error: unknown): number | undefined {
  return (error as { $metadata?: { httpStatusCode?: number } } | undefined)?.$metadata
    ?.httpStatusCode;
}

/** A missing object (not a missing bucket): `NoSuchKey`, or a bare 404 on HEAD. */
function isMissingObject(error: unknown): boolean {
  const name = (error as { name?: string } | undefined)?.name;
  if (name === 'NoSuchBucket') return false;
  return name === 'NoSuchKey' || name === 'NotFound' || statusOf(error) === 404;
}

function notFound(key: string): PlaytallyError {
  return new PlaytallyError('NOT_FOUND', `No blob with key "${key}"`, { details: { key } });
}
