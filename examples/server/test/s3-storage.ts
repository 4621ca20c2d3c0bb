import {
  probeS3,
  removePrefix,
  S3_BUCKET,
  S3_CREDENTIALS,
  S3_ENDPOINT,
  testS3Client,
  uniquePrefix,
} from '../../../packages/blob-s3/test/s3.js';

export { probeS3, S3_ENDPOINT };

/**
 * A folder of its own in the test bucket (S3Proxy from `scripts/s3/start.sh`), the environment
 * that points a server process at it (`STORAGE_URL` and the SDK's credential variables), and
 * `remove()` to delete what the run left there.
 */
export function testBucketFolder(name: string): {
  readonly prefix: string;
  readonly env: Record<string, string>;
  remove(): Promise<void>;
} {
  const prefix = uniquePrefix(name);
  return {
    prefix,
    env: {
      STORAGE_URL: `s3://${S3_BUCKET}/${prefix}?endpoint=${S3_ENDPOINT}&forcePathStyle=true`,
      AWS_ACCESS_KEY_ID: S3_CREDENTIALS.accessKeyId,
      AWS_SECRET_ACCESS_KEY: S3_CREDENTIALS.secretAccessKey,
      AWS_REGION: 'us-east-1',
    },
    async remove() {
      const client = testS3Client();
      try {
        await removePrefix(client, prefix);
      } finally {
        client.destroy();
      }
    },
  };
}
