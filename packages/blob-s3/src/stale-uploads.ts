import {
  AbortMultipartUploadCommand,
  ListMultipartUploadsCommand,
  type MultipartUpload,
  type S3Client,
} from '@aws-sdk/client-s3';

/** Options of `abortStaleUploads`. */
export interface StaleUploadOptions {
  /**
   * Only uploads started longer ago than this are aborted: a `put` still running (in this or
   * another process) keeps its upload. Set it above your slowest upload. @default 86400000 (1 day)
   */
  olderThanMs?: number;
}

/**
 * Lists the multipart uploads pending under `prefix` and aborts those older than the cutoff.
 * Such uploads are left only when a process died mid-`put` (a failing `put` aborts its own):
 * they are invisible to readers but their parts take space, and are billed on AWS.
 */
export async function abortStaleUploads(
  client: S3Client,
  bucket: string,
  prefix: string,
  options: StaleUploadOptions = {},
): Promise<number> {
  const olderThanMs = options.olderThanMs ?? 86_400_000;
  let aborted = 0;
  for await (const upload of pendingUploads(client, bucket, prefix)) {
    const started = upload.Initiated?.getTime();
    // The age is taken when the listing arrives: some servers (S3Proxy) report the listing's
    // own time as every upload's start, so only `olderThanMs: 0` reaches theirs.
    const age = started === undefined ? -1 : Date.now() - started;
    if (age < olderThanMs || age < 0 || !upload.Key || !upload.UploadId) continue;
    await client.send(
      new AbortMultipartUploadCommand({
        Bucket: bucket,
        Key: upload.Key,
        UploadId: upload.UploadId,
      }),
    );
    aborted += 1;
  }
  return aborted;
}

/** Every multipart upload pending under `prefix`, page by page. */
export async function* pendingUploads(
  client: S3Client,
  bucket: string,
  prefix: string,
): AsyncGenerator<MultipartUpload> {
  let keyMarker: string | undefined;
  let uploadIdMarker: string | undefined;
  for (;;) {
    const page = await client.send(
      new ListMultipartUploadsCommand({
        Bucket: bucket,
        ...(prefix === '' ? {} : { Prefix: `${prefix}/` }),
        ...(keyMarker === undefined ? {} : { KeyMarker: keyMarker }),
        ...(uploadIdMarker === undefined ? {} : { UploadIdMarker: uploadIdMarker }),
      }),
    );
    yield* page.Uploads ?? [];
    if (!page.IsTruncated) return;
    keyMarker = page.NextKeyMarker;
    uploadIdMarker = page.NextUploadIdMarker;
    if (keyMarker === undefined && uploadIdMarker === undefined) return;
  }
}
