import { createHash } from 'node:crypto';
import type { Readable } from 'node:stream';
import { CreateMultipartUploadCommand, UploadPartCommand } from '@aws-sdk/client-s3';
import { describeBlobStoreContract } from '@playtally/service/testing';
import { requireService } from '@playtally/transport/testing';
import { afterAll, afterEach, describe, expect, it, vi } from 'vitest';
import {
  createTestStore,
  listResidue,
  probeS3,
  recordCommands,
  removePrefix,
  S3_BUCKET,
  S3_CREDENTIALS,
  S3_ENDPOINT,
  settledResidue,
  testS3Client,
  uniquePrefix,
} from '../test/s3.js';
import { createS3BlobStore, type S3BlobStore } from './index.js';

const available = await requireService(
  `an S3 server at ${S3_ENDPOINT} (bash scripts/s3/start.sh)`,
  probeS3,
);
const MIB = 1024 * 1024;
const admin = testS3Client();
const stores: S3BlobStore[] = [];

/** A store under a prefix of its own, removed with everything in it after the test. */
function freshStore(options: Parameters<typeof createTestStore>[0] = {}): S3BlobStore {
  const store = createTestStore(options);
  stores.push(store);
  return store;
}

afterEach(async () => {
  for (const store of stores.splice(0)) {
    await removePrefix(admin, store.prefix);
    await store.close();
  }
});
afterAll(() => admin.destroy());

/** `count` chunks of `size` bytes, each filled from its index, and their sha256. */
function chunksOf(count: number, size: number): { chunks: Uint8Array[]; sha256: string } {
  const hash = createHash('sha256');
  const chunks = Array.from({ length: count }, (_, n) => {
    const chunk = new Uint8Array(size);
    for (let i = 0; i < size; i += 1) chunk[i] = (n * 131 + i * 17) & 0xff;
    hash.update(chunk);
    return chunk;
  });
  return { chunks, sha256: hash.digest('hex') };
}

async function sha256Of(readable: Readable): Promise<string> {
  const hash = createHash('sha256');
  for await (const chunk of readable as AsyncIterable<Buffer>) hash.update(chunk);
  return hash.digest('hex');
}

describe.skipIf(!available)('S3 blob store (S3Proxy)', () => {
  describeBlobStoreContract('s3', () => {
    const store = freshStore({ partSize: 5 * MIB });
    return { store, listResidue: () => settledResidue(admin, store.prefix) };
  });
});

describe.skipIf(!available)('S3 blob store, beyond the contract', () => {
  it('streams a blob of at least 3 parts as one multipart upload, and reads it back whole', async () => {
    const client = testS3Client();
    const sent = recordCommands(client);
    const store = freshStore({ client, partSize: 5 * MIB, queueSize: 2 });
    const { chunks, sha256 } = chunksOf(17, MIB);
    const info = await store.put(chunks, { prefix: 'uploads' });
    expect(info.size).toBe(17 * MIB);
    expect(sent.filter((name) => name !== 'UploadPart')).toEqual([
      'CreateMultipartUpload',
      'CompleteMultipartUpload',
    ]);
    expect(sent.filter((name) => name === 'UploadPart')).toHaveLength(4);
    expect(await sha256Of(await store.read(info.key))).toBe(sha256);
    client.destroy();
  });

  it('streams a blob of announced size in one PutObject, whatever its size', async () => {
    const client = testS3Client();
    const sent = recordCommands(client);
    const store = freshStore({ client, partSize: 5 * MIB });
    const { chunks, sha256 } = chunksOf(17, MIB);
    const info = await store.put(chunks, { expectedBytes: 17 * MIB });
    expect(sent).toEqual(['PutObject']);
    expect(await sha256Of(await store.read(info.key))).toBe(sha256);
    client.destroy();
  });

  it('stores nothing of a one-request put whose source fails or is aborted midway', async () => {
    const store = freshStore();
    const failing = (async function* () {
      for (let n = 0; n < 6; n += 1) yield new Uint8Array(MIB);
      throw new Error('client went away');
    })();
    await expect(store.put(failing, { expectedBytes: 12 * MIB })).rejects.toThrow(
      'client went away',
    );
    const controller = new AbortController();
    const stalled = (async function* () {
      for (let n = 0; n < 6; n += 1) yield new Uint8Array(MIB);
      setTimeout(() => controller.abort(), 50);
      await new Promise(() => {});
    })();
    await expect(
      store.put(stalled, { expectedBytes: 12 * MIB, signal: controller.signal }),
    ).rejects.toMatchObject({ code: 'ABORTED' });
    expect(await settledResidue(admin, store.prefix)).toEqual([]);
  });

  it('leaves no object and no pending multipart upload when a put is aborted midway', async () => {
    const store = freshStore({ partSize: 5 * MIB, queueSize: 1 });
    const controller = new AbortController();
    const { chunks } = chunksOf(12, MIB);
    const source = (async function* () {
      yield* chunks;
      await new Promise(() => {}); // the client stalls with two parts sent
    })();
    const put = store.put(source, { prefix: 'uploads', signal: controller.signal });
    put.catch(() => {});
    // Wait until the multipart upload really is under way on the server.
    await vi.waitFor(
      async () =>
        expect(await listResidue(admin, store.prefix)).toContainEqual(
          expect.stringMatching(/^pending upload /),
        ),
      { timeout: 20_000, interval: 100 },
    );
    controller.abort();
    await expect(put).rejects.toMatchObject({ code: 'ABORTED' });
    expect(await listResidue(admin, store.prefix)).toEqual([]);
  });

  it('stops at maxBytes in the middle of a multipart upload and keeps nothing', async () => {
    const store = freshStore({ partSize: 5 * MIB });
    let pulled = 0;
    const endless = (function* () {
      for (;;) {
        pulled += 1;
        yield new Uint8Array(MIB);
      }
    })();
    await expect(store.put(endless, { maxBytes: 12 * MIB })).rejects.toMatchObject({
      code: 'PAYLOAD_TOO_LARGE',
      details: { maxBytes: 12 * MIB },
    });
    expect(pulled).toBe(13);
    expect(await listResidue(admin, store.prefix)).toEqual([]);
  });

  it('reads ranges that cross part boundaries of a multipart object', async () => {
    const store = freshStore({ partSize: 5 * MIB });
    const { chunks } = chunksOf(11, MIB);
    const whole = Buffer.concat(chunks);
    const { key } = await store.put(chunks);
    for (const [start, end] of [
      [5 * MIB - 3, 5 * MIB + 3],
      [MIB, 10 * MIB + 1],
      [10 * MIB - 1, 11 * MIB],
    ] as const) {
      const hash = createHash('sha256').update(whole.subarray(start, end)).digest('hex');
      expect(await sha256Of(await store.read(key, { start, end }))).toBe(hash);
    }
  });

  it('takes concurrent writers of multipart blobs to different keys', async () => {
    const store = freshStore({ partSize: 5 * MIB, queueSize: 2 });
    const blobs = Array.from({ length: 5 }, (_, n) => chunksOf(11 + n, MIB));
    const infos = await Promise.all(blobs.map(({ chunks }) => store.put(chunks)));
    expect(new Set(infos.map((info) => info.key)).size).toBe(5);
    for (const [n, info] of infos.entries()) {
      expect(info.size).toBe((11 + n) * MIB);
      expect(await sha256Of(await store.read(info.key))).toBe(blobs[n]?.sha256);
    }
    const residue = await listResidue(admin, store.prefix);
    expect(residue.filter((entry) => entry.startsWith('pending'))).toEqual([]);
    expect(residue).toHaveLength(5);
  });

  it('aborts multipart uploads a dead process left behind, once they are old enough', async () => {
    const store = freshStore();
    const key = `${store.prefix}/uploads/00000000-0000-4000-8000-000000000000`;
    const { UploadId } = await admin.send(
      new CreateMultipartUploadCommand({ Bucket: S3_BUCKET, Key: key }),
    );
    await admin.send(
      new UploadPartCommand({
        Bucket: S3_BUCKET,
        Key: key,
        UploadId,
        PartNumber: 1,
        Body: new Uint8Array(5 * MIB),
      }),
    );
    expect(await store.abortStaleUploads()).toBe(0);
    expect(await listResidue(admin, store.prefix)).toEqual([`pending upload ${key}`]);
    expect(await store.abortStaleUploads({ olderThanMs: 0 })).toBe(1);
    expect(await listResidue(admin, store.prefix)).toEqual([]);
  });

  it('lives under its prefix in the bucket, reachable from a store built from a URL', async () => {
    const prefix = `${uniquePrefix()}/nested`;
    const url = `s3://${S3_BUCKET}/${prefix}?endpoint=${S3_ENDPOINT}&forcePathStyle=true&region=us-east-1`;
    const store = createS3BlobStore({ url, credentials: S3_CREDENTIALS });
    stores.push(store);
    expect(store.prefix).toBe(prefix);
    const { key } = await store.put([Buffer.from('Song,Date,Number of Plays\n')], {
      prefix: 'results',
    });
    expect(await listResidue(admin, prefix)).toEqual([`object ${prefix}/${key}`]);
  });
});

describe.skipIf(!available)('S3 blob store errors say what to fix', () => {
  it('names a missing bucket', async () => {
    const store = createS3BlobStore({
      bucket: 'no-such-bucket-here',
      endpoint: S3_ENDPOINT,
      credentials: S3_CREDENTIALS,
    });
    try {
      await expect(store.ping()).rejects.toMatchObject({
        code: 'STORE_ERROR',
        message: expect.stringContaining('the bucket "no-such-bucket-here" does not exist'),
        details: { reason: 'bucket-missing' },
      });
      await expect(store.put([Buffer.from('x')])).rejects.toMatchObject({
        code: 'STORE_ERROR',
        details: { reason: 'bucket-missing' },
      });
    } finally {
      await store.close();
    }
  });

  it('says the credentials were refused, without printing the secret', async () => {
    const store = createS3BlobStore({
      bucket: S3_BUCKET,
      endpoint: S3_ENDPOINT,
      credentials: { accessKeyId: S3_CREDENTIALS.accessKeyId, secretAccessKey: 'not-the-secret' },
    });
    try {
      const error = await store.ping().catch((caught: unknown) => caught as Error);
      expect(error).toMatchObject({
        code: 'STORE_ERROR',
        details: { reason: 'credentials-refused' },
      });
      expect(error?.message).toMatch(/refused the credentials .*AWS_ACCESS_KEY_ID/);
      expect(error?.message).not.toContain('not-the-secret');
      await expect(
        store.read('uploads/00000000-0000-4000-8000-000000000000'),
      ).rejects.toMatchObject({ code: 'STORE_ERROR', details: { reason: 'credentials-refused' } });
    } finally {
      await store.close();
    }
  });

  it('says when the endpoint does not answer', async () => {
    const store = createS3BlobStore({
      bucket: S3_BUCKET,
      endpoint: 'http://127.0.0.1:9',
      credentials: S3_CREDENTIALS,
    });
    try {
      await expect(store.ping()).rejects.toMatchObject({
        code: 'STORE_ERROR',
        message: expect.stringContaining('the connection to http://127.0.0.1:9 failed'),
        details: { reason: 'unreachable' },
      });
    } finally {
      await store.close();
    }
  });
});
