import { Readable } from 'node:stream';
import { PutObjectCommand, type S3Client } from '@aws-sdk/client-s3';
import { Upload } from '@aws-sdk/lib-storage';
import type { MeteredSource } from './metered-source.js';

/** What {@link uploadObject} needs. */
export interface UploadObjectOptions {
  readonly client: S3Client;
  readonly bucket: string;
  /** The object's final key: the object appears there only once the upload completes. */
  readonly objectKey: string;
  /** Bytes per part of a multipart upload (at least 5 MiB, S3's minimum). */
  readonly partSize: number;
  /** Parts in flight at once; memory is about `partSize × (queueSize + 1)`. */
  readonly queueSize: number;
}

/**
 * Streams `source` into one object with `@aws-sdk/lib-storage`: a single `PutObject` when it
 * fits in one part, otherwise a multipart upload whose parts are sent while the next are read.
 * S3 makes the object visible only on `PutObject` or `CompleteMultipartUpload`, so readers never
 * see part of it.
 *
 * When the source fails (its own error, `maxBytes`, an abort) or S3 does, lib-storage stops,
 * waits for the parts in flight and aborts the multipart upload (`leavePartsOnError: false`)
 * before this rejects, so no object and no pending upload remain. Only when that abort itself
 * cannot reach the server (it went away) does a pending upload stay behind: a bucket lifecycle
 * rule or `abortStaleUploads` removes it.
 */
export async function uploadObject(
  options: UploadObjectOptions,
  source: MeteredSource,
): Promise<void> {
  // The body is a Readable (a form lib-storage chunks into parts); destroying it at the end
  // releases the source whatever happened.
  const body = Readable.from(source.chunks, { objectMode: true, highWaterMark: 1 });
  const upload = new Upload({
    client: options.client,
    params: { Bucket: options.bucket, Key: options.objectKey, Body: body },
    partSize: options.partSize,
    queueSize: options.queueSize,
    leavePartsOnError: false,
  });
  try {
    await upload.done();
  } finally {
    body.destroy();
  }
}

/** The largest object one `PutObject` may write: 5 GiB. */
export const MAX_SINGLE_PUT_BYTES = 5 * 1024 ** 3;

/**
 * Streams `source`, whose size is known (`contentLength`), into one object with a single
 * `PutObject`: no part is buffered, and the server writes the object once (an S3Proxy or MinIO
 * on a disk joins a multipart upload's parts into a second copy). S3 stores nothing of a
 * `PutObject` that does not complete, so when the source fails (or turns out another size)
 * the request is aborted and no object and no upload remain. Not retried by the SDK: a
 * stream cannot be sent twice; the caller's own retry (a job's redelivery, a client's new
 * upload) takes over.
 */
export async function putObjectStream(
  options: Omit<UploadObjectOptions, 'partSize' | 'queueSize'>,
  source: MeteredSource,
  contentLength: number,
): Promise<void> {
  const body = Readable.from(source.chunks, { objectMode: true });
  // The SDK pipes the body into the request, and a pipe does not pass an error on: abort the
  // request ourselves when the source fails.
  const controller = new AbortController();
  body.once('error', () => controller.abort());
  try {
    await options.client.send(
      new PutObjectCommand({
        Bucket: options.bucket,
        Key: options.objectKey,
        Body: body,
        ContentLength: contentLength,
      }),
      { abortSignal: controller.signal },
    );
  } finally {
    body.destroy();
  }
}
