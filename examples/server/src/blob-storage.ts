import { mkdir } from 'node:fs/promises';
import { resolve } from 'node:path';
import { type BlobStore, createFsBlobStore, sweepStaleBlobWrites } from '@playtally/service';
import type { Logger } from '@playtally/transport';
import type { StorageConfig } from './config.js';

/** The blob store a server runs on, opened and checked. */
export interface BlobStorage {
  readonly blobs: BlobStore;
  /** `file:/abs/dir` or `s3://bucket/prefix`, for logs (never credentials). */
  readonly description: string;
  /** Releases the store's connections. */
  close(): Promise<void>;
}

/**
 * Opens `STORAGE_URL`'s store and makes sure it can be used before anything else starts: a
 * directory is created; a bucket is checked (`HeadBucket`), so a missing bucket, refused
 * credentials or an endpoint that does not answer stop the start with a message saying which.
 * Then leftovers of processes killed mid-write are removed: temporary files of the directory, or
 * multipart uploads older than a day in the bucket. `@playtally/blob-s3` (and the AWS SDK) are
 * loaded only for `s3://`.
 */
export async function openBlobStorage(
  storage: StorageConfig,
  logger: Logger,
): Promise<BlobStorage> {
  if (storage.kind === 'file') {
    const directory = resolve(storage.directory);
    await mkdir(directory, { recursive: true });
    const swept = await sweepStaleBlobWrites(directory);
    if (swept > 0) logger.info({ swept }, 'removed temporary files of interrupted blob writes');
    return {
      blobs: createFsBlobStore({ directory }),
      description: `file:${directory}`,
      close: async () => {},
    };
  }
  const { createS3BlobStore } = await import('@playtally/blob-s3');
  const store = createS3BlobStore({ url: storage.url });
  const endpoint = /[?&]endpoint=([^&#]+)/.exec(storage.url)?.[1];
  const description = `s3://${store.bucket}/${store.prefix}${endpoint ? ` at ${decodeURIComponent(endpoint)}` : ''}`;
  try {
    await store.ping();
  } catch (error) {
    await store.close();
    throw error;
  }
  // Housekeeping only: a failure here must not stop the server.
  store.abortStaleUploads().then(
    (aborted) => {
      if (aborted > 0)
        logger.info({ aborted }, 'aborted multipart uploads of interrupted blob writes');
    },
    (error: unknown) => logger.warn({ err: error }, 'could not look for stale multipart uploads'),
  );
  return { blobs: store, description, close: () => store.close() };
}
