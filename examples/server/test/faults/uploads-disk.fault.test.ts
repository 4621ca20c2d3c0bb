import { execFile } from 'node:child_process';
import { mkdir, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { request } from 'node:http';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type OwnRedis, startOwnRedis } from '../services/own-redis.js';
import { waitForJob } from './job-ledger.js';
import { printFigures } from './message-ledger.js';
import { createFaultSystem, type FaultSystem } from './system.js';

const run = promisify(execFile);
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
const BOUNDARY = 'fault-boundary';

/** Opens an upload of a 1 MB form, sends its first 64 KiB, then drops the connection. */
function abortedUpload(base: string): Promise<void> {
  const { hostname, port } = new URL(base);
  return new Promise((resolve) => {
    const req = request({
      hostname,
      port,
      method: 'POST',
      path: '/v1/jobs',
      headers: {
        'content-type': `multipart/form-data; boundary=${BOUNDARY}`,
        'content-length': String(1024 * 1024),
      },
    });
    req.on('error', () => resolve());
    req.on('response', (response) => {
      response.resume();
      resolve();
    });
    req.write(
      `--${BOUNDARY}\r\nContent-Disposition: form-data; name="file"; filename="a.csv"\r\nContent-Type: text/csv\r\n\r\nSong,Date,Number of Plays\n`,
    );
    req.write('Umbrella,2020-01-01,1\n'.repeat(3000));
    setTimeout(() => {
      req.destroy();
      resolve();
    }, 5);
  });
}

/** One POST of a CSV on a connection of its own; resolves with the answer. */
function postOnce(url: string, body: string): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const req = request(url, {
      method: 'POST',
      headers: { 'content-type': 'text/csv', 'content-length': Buffer.byteLength(body) },
      agent: false,
    });
    req.on('error', reject);
    req.on('response', (response) => {
      let text = '';
      response.setEncoding('utf8');
      response.on('data', (chunk: string) => {
        text += chunk;
      });
      response.on('end', () => resolve({ status: response.statusCode ?? 0, body: text }));
    });
    req.write(body, () => req.end());
  });
}

async function openDescriptors(pid: number): Promise<number> {
  return (await readdir(`/proc/${pid}/fd`)).length;
}

async function filesUnder(dir: string): Promise<string[]> {
  const found: string[] = [];
  for (const entry of await readdir(dir, { withFileTypes: true, recursive: true }).catch(
    () => [],
  )) {
    if (entry.isFile()) found.push(join(entry.parentPath, entry.name));
  }
  return found;
}

describe('1,000 aborted multipart uploads', () => {
  let system: FaultSystem;
  beforeAll(async () => {
    system = await createFaultSystem({ TRANSPORT_URL: 'memory://' });
    await system.startApi();
  });
  afterAll(async () => system?.close());

  it('leave no file and no open descriptor behind, and print no descriptor warning', async () => {
    const base = system.url()!;
    const api = system.api!;
    const before = await openDescriptors(api.child.pid!);
    let sent = 0;
    const workers = Array.from({ length: 20 }, async () => {
      while (sent < 1000) {
        sent += 1;
        await abortedUpload(base);
      }
    });
    await Promise.all(workers);
    const uploads = join(system.env.STORAGE_DIR!, 'uploads');
    const lastSent = Date.now();
    let left = await filesUnder(uploads);
    for (let n = 0; n < 100 && left.length > 0; n += 1) {
      await sleep(100);
      left = await filesUnder(uploads);
    }
    const cleanedWithinMs = Date.now() - lastSent;
    const after = await openDescriptors(api.child.pid!);
    const warnings = api.logs.filter((entry) =>
      /DEP0137|closing file descriptor/i.test(String(entry.msg)),
    );
    printFigures(
      '1,000 aborted uploads',
      { sent, accepted: 0, stored: left.length, consumed: 0, lost: 0, duplicated: 0 },
      {
        filesLeft: left.length,
        cleanedWithinMs,
        descriptorsBefore: before,
        descriptorsAfter: after,
        dep0137: warnings.length,
      },
    );
    expect(left).toEqual([]);
    expect(warnings).toEqual([]);
    expect(after).toBeLessThanOrEqual(before + 5);
    const ok = await fetch(`${base}/v1/jobs`, {
      method: 'POST',
      headers: { 'content-type': 'text/csv' },
      body: 'Song,Date,Number of Plays\nA,2020-01-01,1\n',
    });
    expect(ok.status).toBe(202);
  }, 180_000);
});

describe('a full disk', () => {
  let redis: OwnRedis;
  let system: FaultSystem;
  let storage: string;
  let mounted = false;

  beforeAll(async () => {
    redis = await startOwnRedis();
    system = await createFaultSystem({ TRANSPORT_URL: redis.url });
    storage = join(system.dir, 'small-disk');
    await mkdir(storage, { recursive: true });
    await run('mount', ['-t', 'tmpfs', '-o', 'size=4m', 'tmpfs', storage]);
    mounted = true;
    (system.env as Record<string, string>).STORAGE_DIR = storage;
    await system.startApi();
  });

  afterAll(async () => {
    await system?.close().catch(() => {});
    if (mounted) await run('umount', ['-l', storage]).catch(() => {});
    await rm(system?.dir ?? '/nonexistent', { recursive: true, force: true });
    await redis?.destroy();
  });

  it('answers 507 naming the cause, reports it in /readyz, and fails a job with "disk full"', async () => {
    const base = system.url()!;
    const big = `Song,Date,Number of Plays\n${'Umbrella,2020-01-01,1\n'.repeat(300_000)}`;
    // Its own connection: the server answers before reading the whole body, then closes it.
    const refused = await postOnce(`${base}/v1/jobs`, big);
    const refusal = JSON.parse(refused.body) as { error: { code: string; message: string } };
    expect(refused.status).toBe(507);
    expect(refusal.error.code).toBe('STORAGE_FULL');
    expect(refusal.error.message).toContain('disk full');
    expect(refusal.error.message).not.toContain(storage);
    expect(await filesUnder(join(storage, 'uploads'))).toEqual([]);

    // A small upload fits; then the disk fills up before a worker writes the result.
    const rows = Array.from({ length: 20_000 }, (_, n) => `song-${n},2020-01-01,1`).join('\n');
    const accepted = await fetch(`${base}/v1/jobs`, {
      method: 'POST',
      headers: { 'content-type': 'text/csv' },
      body: `Song,Date,Number of Plays\n${rows}\n`,
    });
    expect(accepted.status).toBe(202);
    const { id } = (await accepted.json()) as { id: string };
    await writeFile(join(storage, 'filler'), Buffer.alloc(0));
    await run('bash', ['-c', `cat /dev/zero > ${join(storage, 'filler')} 2>/dev/null || true`]);
    const readyz = await fetch(`${base}/readyz`);
    const readiness = (await readyz.json()) as {
      error: { details: { checks: Record<string, unknown> } };
    };
    expect(readyz.status).toBe(503);
    expect(readiness.error.details.checks.storage).toEqual({
      ok: false,
      error: 'out of space or read-only',
    });

    await system.startWorker();
    const job = await waitForJob(base, id, 60_000);
    printFigures(
      'disk full',
      { sent: 2, accepted: 1, stored: 1, consumed: 1, lost: 0, duplicated: 0 },
      {
        uploadStatus: refused.status,
        readyz: readyz.status,
        job: job.status,
        jobError: job.error?.message,
      },
    );
    expect(job.status).toBe('failed');
    expect(job.error?.message).toContain('disk full');
    await rm(join(storage, 'filler'));
    expect((await fetch(`${base}/readyz`)).status).toBe(200);
    expect(await readFile('/proc/mounts', 'utf8')).toContain(storage);
  }, 180_000);
});
