import { createHash } from 'node:crypto';
import { mkdir, mkdtemp, open, readdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { describeBlobStoreContract } from '../testing/index.js';
import { createFsBlobStore } from './fs-blob-store.js';

const directories: string[] = [];

async function temporaryDirectory(): Promise<string> {
  const directory = await mkdtemp(join(tmpdir(), 'playtally-blobs-'));
  directories.push(directory);
  return directory;
}

async function filesUnder(directory: string): Promise<string[]> {
  const entries = await readdir(directory, { recursive: true, withFileTypes: true }).catch(
    () => [],
  );
  return entries
    .filter((entry) => entry.isFile())
    .map((entry) => relative(directory, join(entry.parentPath, entry.name)));
}

afterEach(async () => {
  await Promise.all(
    directories.splice(0).map((directory) => rm(directory, { recursive: true, force: true })),
  );
});

describeBlobStoreContract('fs', async () => {
  const directory = join(await temporaryDirectory(), 'blobs');
  return { store: createFsBlobStore({ directory }), listResidue: () => filesUnder(directory) };
});

describe('createFsBlobStore', () => {
  it('stores a large blob of many small, uneven chunks byte for byte', async () => {
    const blobs = createFsBlobStore({ directory: await temporaryDirectory() });
    // ~40 MB in chunks of 1 B to 64 KiB: gathered into larger writes, synced in the background
    // past 32 MiB, read back in 1 MiB pieces.
    const chunks: Uint8Array[] = [];
    let total = 0;
    for (let n = 0; total < 40 << 20; n++) {
      const size = 1 + ((n * 7919) % (64 * 1024));
      chunks.push(new Uint8Array(size).fill(n % 251));
      total += size;
    }
    const expected = createHash('sha256');
    for (const chunk of chunks) expected.update(chunk);
    const { key, size } = await blobs.put(chunks);
    expect(size).toBe(total);
    const actual = createHash('sha256');
    for await (const chunk of await blobs.read(key)) actual.update(chunk as Buffer);
    expect(actual.digest('hex')).toBe(expected.digest('hex'));
  });

  it('lays blobs out as <directory>/<prefix>/<uuid> and creates the directory on first write', async () => {
    const directory = join(await temporaryDirectory(), 'deep', 'blobs');
    const blobs = createFsBlobStore({ directory });
    const { key } = await blobs.put([Buffer.from('plays')], { prefix: 'uploads' });
    expect(key).toMatch(/^uploads\/[0-9a-f-]{36}$/);
    expect(await filesUnder(directory)).toEqual([key]);
  });

  it('never reads a file outside its directory, whatever the key says', async () => {
    const parent = await temporaryDirectory();
    const directory = join(parent, 'blobs');
    await mkdir(join(directory, 'uploads'), { recursive: true });
    await writeFile(join(parent, 'secret'), 'top secret');
    await writeFile(join(directory, 'uploads', 'plain-name'), 'not a key');
    const blobs = createFsBlobStore({ directory });
    for (const key of [
      '../secret',
      join(parent, 'secret'),
      'uploads/../../secret',
      'uploads/plain-name',
    ]) {
      await expect(blobs.read(key)).rejects.toMatchObject({ code: 'NOT_FOUND' });
      expect(await blobs.stat(key)).toBeUndefined();
      await blobs.delete(key);
    }
    expect((await filesUnder(parent)).sort()).toEqual(['blobs/uploads/plain-name', 'secret']);
  });

  it('keeps a half-written blob invisible: only the finished rename shows it', async () => {
    const directory = await temporaryDirectory();
    const blobs = createFsBlobStore({ directory });
    let release!: () => void;
    const gate = new Promise<void>((resolve) => {
      release = resolve;
    });
    const source = (async function* () {
      yield Buffer.from('first half,');
      await gate;
      yield Buffer.from('second half');
    })();
    const pending = blobs.put(source, { prefix: 'uploads' });
    await new Promise((resolve) => setTimeout(resolve, 20));
    const during = await filesUnder(directory);
    expect(during).toHaveLength(1);
    expect(during[0]).toMatch(/^uploads\/\.tmp-/);
    release();
    const { key } = await pending;
    expect(await filesUnder(directory)).toEqual([key]);
  });

  it('fails the put, and leaves nothing, when a background sync of a large blob fails', async () => {
    const directory = await temporaryDirectory();
    const blobs = createFsBlobStore({ directory });
    // Only the first datasync fails (the one in the background, past 32 MiB); the final one
    // succeeds, as it can on Linux once a writeback error has been reported.
    const probe = await open(join(directory, 'probe'), 'w');
    const prototype = Object.getPrototypeOf(probe) as { datasync(): Promise<void> };
    await probe.close();
    await rm(join(directory, 'probe'));
    const failOnce = vi
      .spyOn(prototype, 'datasync')
      .mockRejectedValueOnce(
        Object.assign(new Error('EIO: i/o error, fdatasync'), { code: 'EIO' }),
      );
    try {
      const chunks = Array.from({ length: 40 }, () => new Uint8Array(1 << 20));
      await expect(blobs.put(chunks)).rejects.toMatchObject({
        code: 'STORE_ERROR',
        message: expect.stringContaining('EIO'),
        details: { component: 'storage' },
      });
      expect(failOnce).toHaveBeenCalled();
    } finally {
      failOnce.mockRestore();
    }
    expect(await filesUnder(directory)).toEqual([]);
  });

  it('says "disk full" when the disk runs out of space, and leaves nothing', async () => {
    const directory = await temporaryDirectory();
    const blobs = createFsBlobStore({ directory });
    const probe = await open(join(directory, 'probe'), 'w');
    const prototype = Object.getPrototypeOf(probe) as {
      write(...args: unknown[]): Promise<unknown>;
    };
    await probe.close();
    await rm(join(directory, 'probe'));
    const full = vi
      .spyOn(prototype, 'write')
      .mockRejectedValue(
        Object.assign(new Error('ENOSPC: no space left on device'), { code: 'ENOSPC' }),
      );
    try {
      await expect(blobs.put([new Uint8Array(2 << 20)])).rejects.toMatchObject({
        code: 'STORAGE_FULL',
        message: expect.stringContaining('disk full'),
        details: { component: 'storage', reason: 'disk full' },
      });
    } finally {
      full.mockRestore();
    }
    expect(await filesUnder(directory)).toEqual([]);
  });

  it('fails ping with STORE_ERROR naming the directory when it cannot be used', async () => {
    const parent = await temporaryDirectory();
    await writeFile(join(parent, 'a-file'), 'not a directory');
    const directory = join(parent, 'a-file', 'blobs');
    const blobs = createFsBlobStore({ directory });
    await expect(blobs.ping?.()).rejects.toMatchObject({
      code: 'STORE_ERROR',
      message: expect.stringContaining(directory),
    });
    await expect(createFsBlobStore({ directory: join(parent, 'fine') }).ping?.()).resolves.toBe(
      undefined,
    );
  });

  it('stops reading the source as soon as maxBytes is exceeded', async () => {
    const blobs = createFsBlobStore({ directory: await temporaryDirectory() });
    let pulled = 0;
    const endless = (function* () {
      for (;;) {
        pulled += 1;
        yield new Uint8Array(1024);
      }
    })();
    await expect(blobs.put(endless, { maxBytes: 10 * 1024 })).rejects.toMatchObject({
      code: 'PAYLOAD_TOO_LARGE',
      details: { maxBytes: 10 * 1024 },
    });
    expect(pulled).toBe(11);
  });
});
