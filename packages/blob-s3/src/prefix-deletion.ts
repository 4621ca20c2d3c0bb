import { DeleteObjectCommand, ListObjectsV2Command, type S3Client } from '@aws-sdk/client-s3';
import { abortStaleUploads } from './stale-uploads.js';

/**
 * Removes every object under `folder/` of the bucket, and aborts every multipart upload pending
 * there (a `put` whose process died): what `BlobStore.deletePrefix` promises. Objects are
 * listed page by page and deleted one by one (a prefix holds few: a job's partial results).
 */
export async function deleteFolder(
  client: S3Client,
  bucket: string,
  folder: string,
): Promise<void> {
  await abortStaleUploads(client, bucket, folder, { olderThanMs: 0 });
  let token: string | undefined;
  do {
    const page = await client.send(
      new ListObjectsV2Command({
        Bucket: bucket,
        Prefix: `${folder}/`,
        ...(token === undefined ? {} : { ContinuationToken: token }),
      }),
    );
    for (const object of page.Contents ?? []) {
      if (object.Key !== undefined) {
        await client.send(new DeleteObjectCommand({ Bucket: bucket, Key: object.Key }));
      }
    }
    token = page.IsTruncated ? page.NextContinuationToken : undefined;
  } while (token !== undefined);
}
