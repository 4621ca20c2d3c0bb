import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { requireService } from '@playtally/transport/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { probeS3, S3_ENDPOINT, testBucketFolder } from './s3-storage.js';
import { startServerProcess } from './server-process.js';

const available = await requireService(
  `an S3 server at ${S3_ENDPOINT} (bash scripts/s3/start.sh)`,
  probeS3,
);

describe.skipIf(!available)('STORAGE_URL=s3://… at start-up', () => {
  const bucket = testBucketFolder('start');
  let directory: string;

  beforeAll(async () => {
    directory = await mkdtemp(join(tmpdir(), 'playtally-storage-url-'));
  });
  afterAll(async () => {
    await bucket.remove();
    await rm(directory, { recursive: true, force: true });
  });

  /** Starts an API with `env` on top of the test bucket's and returns why it stopped. */
  const refusal = async (env: Record<string, string>): Promise<string> => {
    const started = startServerProcess('api', {
      env: { ...bucket.env, ...env },
      cwd: directory,
      timeoutMs: 60_000,
    });
    const error = await started.then(
      async (server) => {
        await server.stop();
        throw new Error('the server started');
      },
      (caught: Error) => caught,
    );
    return error.message;
  };

  it('starts on the bucket and reports it ready', async () => {
    const server = await startServerProcess('all', { env: bucket.env, cwd: directory });
    try {
      const ready = await fetch(`${server.url}/readyz`);
      expect(await ready.json()).toMatchObject({ checks: { storage: { ok: true } } });
      expect(server.logs.find((line) => line.msg === 'starting playtally')).toMatchObject({
        storage: `s3://playtally-test/${bucket.prefix} at ${S3_ENDPOINT}`,
      });
    } finally {
      expect(await server.stop()).toBe(0);
    }
  });

  it('refuses to start on a bucket that does not exist, naming it', async () => {
    const message = await refusal({
      STORAGE_URL: `s3://no-such-bucket-here/x?endpoint=${S3_ENDPOINT}`,
    });
    expect(message).toContain('exited with 1');
    expect(message).toContain('the bucket \\"no-such-bucket-here\\" does not exist');
  });

  it('refuses to start when the credentials are refused, without printing the secret', async () => {
    const message = await refusal({ AWS_SECRET_ACCESS_KEY: 'not-the-secret' });
    expect(message).toContain('exited with 1');
    expect(message).toMatch(/refused the credentials for bucket/);
    expect(message).not.toContain('not-the-secret');
  });

  it('refuses an unknown scheme before anything starts, with status 2', async () => {
    const message = await refusal({ STORAGE_URL: 'gs://plays/x' });
    expect(message).toContain('exited with 2');
    expect(message).toContain('STORAGE_URL: must be file:<directory> or s3://bucket/prefix');
  });
});
