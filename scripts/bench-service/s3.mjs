// The S3 bucket of the bench: S3Proxy from scripts/s3/start.sh, a folder of this run's own.

import { createRequire } from 'node:module';
import { join } from 'node:path';
import { ROOT } from './inputs.mjs';

/** The fixed test credentials and bucket of scripts/s3/start.sh. */
const CREDENTIALS = { accessKeyId: 'playtally', secretAccessKey: 'playtally-secret' };
const BUCKET = 'playtally';

// The AWS SDK is a dependency of @playtally/blob-s3, not of the workspace root.
const requireFromBlobS3 = createRequire(join(ROOT, 'packages/blob-s3/package.json'));

/**
 * The environment that points the server at `endpoint` (STORAGE_URL and the SDK's credential
 * variables) under a folder of this run, and `remove()` to delete that folder afterwards.
 * @param {string} endpoint
 */
export function benchBucket(endpoint) {
  const prefix = `bench-service-${Date.now().toString(36)}`;
  return {
    env: {
      STORAGE_URL: `s3://${BUCKET}/${prefix}?endpoint=${endpoint}&forcePathStyle=true`,
      AWS_ACCESS_KEY_ID: CREDENTIALS.accessKeyId,
      AWS_SECRET_ACCESS_KEY: CREDENTIALS.secretAccessKey,
      AWS_REGION: 'us-east-1',
      AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true',
    },
    async remove() {
      // This script's own client only deletes a few objects; the SDK's advice to move to a newer
      // Node is noise here.
      process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';
      const { S3Client, ListObjectsV2Command, DeleteObjectCommand } =
        requireFromBlobS3('@aws-sdk/client-s3');
      const client = new S3Client({
        endpoint,
        region: 'us-east-1',
        forcePathStyle: true,
        credentials: CREDENTIALS,
      });
      try {
        for (;;) {
          const page = await client.send(
            new ListObjectsV2Command({ Bucket: BUCKET, Prefix: `${prefix}/` }),
          );
          const keys = (page.Contents ?? []).map((object) => object.Key);
          if (keys.length === 0) return;
          for (const key of keys) {
            await client.send(new DeleteObjectCommand({ Bucket: BUCKET, Key: key }));
          }
        }
      } finally {
        client.destroy();
      }
    },
  };
}
