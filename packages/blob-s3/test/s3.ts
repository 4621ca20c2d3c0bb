import { randomBytes } from 'node:crypto';
import {
  AbortMultipartUploadCommand,
  CreateBucketCommand,
  DeleteObjectCommand,
  HeadBucketCommand,
  ListObjectsV2Command,
  S3Client,
} from '@aws-sdk/client-s3';
import { createS3BlobStore, type S3BlobStore, type S3BlobStoreOptions } from '../src/index.js';
import { pendingUploads } from '../src/stale-uploads.js';

/** The S3 server the tests use: `scripts/s3/start.sh` runs S3Proxy there. */
export const S3_ENDPOINT = process.env.TEST_S3_ENDPOINT ?? 'http://127.0.0.1:9000';
/** The fixed test credentials of `scripts/s3/start.sh`. */
export const S3_CREDENTIALS = {
  accessKeyId: process.env.TEST_S3_ACCESS_KEY_ID ?? 'playtally',
  secretAccessKey: process.env.TEST_S3_SECRET_ACCESS_KEY ?? 'playtally-secret',
};
/** The bucket the tests share; every test works under a prefix of its own. */
export const S3_BUCKET = process.env.TEST_S3_BUCKET ?? 'playtally-test';

/** An S3 client on `endpoint` with the test credentials, for setting up and inspecting. */
export function testS3Client(endpoint: string = S3_ENDPOINT): S3Client {
  return new S3Client({
    endpoint,
    region: 'us-east-1',
    forcePathStyle: true,
    credentials: S3_CREDENTIALS,
    requestChecksumCalculation: 'WHEN_REQUIRED',
    responseChecksumValidation: 'WHEN_REQUIRED',
    maxAttempts: 1,
  });
}

/** Creates `bucket` unless it exists. */
export async function ensureBucket(client: S3Client, bucket: string = S3_BUCKET): Promise<void> {
  try {
    await client.send(new HeadBucketCommand({ Bucket: bucket }));
  } catch {
    await client.send(new CreateBucketCommand({ Bucket: bucket })).catch((error: unknown) => {
      if ((error as Error).name !== 'BucketAlreadyOwnedByYou') throw error;
    });
  }
}

/** Resolves when the test S3 server answers with the test credentials (and has the bucket). */
export async function probeS3(): Promise<void> {
  const client = testS3Client();
  try {
    await ensureBucket(client);
  } finally {
    client.destroy();
  }
}

/** Every object key and pending multipart upload under `prefix/`. */
export async function listResidue(
  client: S3Client,
  prefix: string,
  bucket: string = S3_BUCKET,
): Promise<string[]> {
  const residue: string[] = [];
  let token: string | undefined;
  do {
    const page = await client.send(
      new ListObjectsV2Command({
        Bucket: bucket,
        Prefix: `${prefix}/`,
        ...(token ? { ContinuationToken: token } : {}),
      }),
    );
    for (const object of page.Contents ?? []) {
      // S3Proxy's filesystem backend lists an emptied folder as a "key/" marker: not a blob.
      if (!object.Key?.endsWith('/')) residue.push(`object ${object.Key}`);
    }
    token = page.IsTruncated ? page.NextContinuationToken : undefined;
  } while (token);
  for await (const upload of pendingUploads(client, bucket, prefix)) {
    residue.push(`pending upload ${upload.Key}`);
  }
  return residue;
}

/**
 * {@link listResidue} once what remains has stopped changing: S3Proxy's filesystem backend
 * deletes the partial file of an aborted PutObject a moment after the connection closes (real
 * S3 never stores it). Real residue stays, so it is still reported, after at most `settleMs`.
 */
export async function settledResidue(
  client: S3Client,
  prefix: string,
  bucket: string = S3_BUCKET,
  settleMs = 5000,
): Promise<string[]> {
  const deadline = Date.now() + settleMs;
  for (;;) {
    const residue = await listResidue(client, prefix, bucket);
    if (residue.length === 0 || Date.now() > deadline) return residue;
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

/** Deletes every object and aborts every pending upload under `prefix/`. */
export async function removePrefix(
  client: S3Client,
  prefix: string,
  bucket: string = S3_BUCKET,
): Promise<void> {
  for await (const upload of pendingUploads(client, bucket, prefix)) {
    await client.send(
      new AbortMultipartUploadCommand({
        Bucket: bucket,
        Key: upload.Key,
        UploadId: upload.UploadId,
      }),
    );
  }
  // One by one: DeleteObjects needs a checksum header S3Proxy does not implement.
  for (;;) {
    const page = await client.send(
      new ListObjectsV2Command({ Bucket: bucket, Prefix: `${prefix}/`, MaxKeys: 1000 }),
    );
    const keys = (page.Contents ?? []).map((object) => object.Key as string);
    if (keys.length === 0) return;
    await Promise.all(
      keys.map((key) => client.send(new DeleteObjectCommand({ Bucket: bucket, Key: key }))),
    );
  }
}

/** Records the name of every command `client` sends, in order. */
export function recordCommands(client: S3Client): string[] {
  const names: string[] = [];
  client.middlewareStack.add(
    (next, context) => async (args) => {
      names.push(String(context.commandName).replace(/Command$/, ''));
      return next(args);
    },
    { step: 'initialize', name: 'recordCommands' },
  );
  return names;
}

/** A fresh folder name for one test. */
export function uniquePrefix(name = 'test'): string {
  return `${name}-${Date.now().toString(36)}-${randomBytes(4).toString('hex')}`;
}

/** A store (with a client of its own) on the test server under a prefix of its own. */
export function createTestStore(options: S3BlobStoreOptions = {}): S3BlobStore {
  return createS3BlobStore({
    bucket: S3_BUCKET,
    prefix: uniquePrefix(),
    endpoint: S3_ENDPOINT,
    credentials: S3_CREDENTIALS,
    ...options,
  });
}
