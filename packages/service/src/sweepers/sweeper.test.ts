import { spawnSync } from 'node:child_process';
import { mkdir, mkdtemp, readdir, rm, utimes, writeFile } from 'node:fs/promises';
import { hostname, tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createFsBlobStore } from '../stores/fs-blob-store.js';
import { createMemoryJobStore } from '../stores/memory-job-store.js';
import { createSpillFolder } from './spill-folder.js';
import { createSweeper } from './sweeper.js';

let directory: string;
beforeEach(async () => {
  directory = await mkdtemp(join(tmpdir(), 'playtally-sweeper-'));
});
afterEach(async () => {
  await rm(directory, { recursive: true, force: true });
});

const anHourAgo = () => new Date(Date.now() - 2 * 3_600_000);

describe('the sweeper', () => {
  it('removes spill folders of dead processes and keeps those of live ones', async () => {
    const temp = join(directory, 'tmp');
    const mine = await createSpillFolder(temp);
    // A pid that existed and is gone: a child that has exited.
    const dead = spawnSync(process.execPath, ['-e', '']).pid;
    const host = hostname()
      .replace(/[^A-Za-z0-9.-]/g, '_')
      .slice(0, 64);
    const orphan = join(temp, `playtally-worker-${host}-${dead}-abcd1234`);
    await mkdir(join(orphan, 'playtally-run'), { recursive: true });
    await writeFile(join(orphan, 'playtally-run', 'run-0'), 'spilled rows');
    const other = join(temp, 'playtally-worker-another-host-1-abcd1234');
    await mkdir(other);
    const jobs = createMemoryJobStore();
    const sweeper = createSweeper({
      jobs,
      blobs: createFsBlobStore({ directory }),
      storageDir: directory,
      tempDir: temp,
    });
    expect((await sweeper.runOnce()).spillFolders).toBe(1);
    expect((await readdir(temp)).sort()).toEqual(
      [mine.split('/').at(-1), 'playtally-worker-another-host-1-abcd1234'].sort(),
    );
  });

  it('removes uploads no job references once past the grace period', async () => {
    const blobs = createFsBlobStore({ directory });
    const jobs = createMemoryJobStore();
    const orphan = await blobs.put([new TextEncoder().encode('orphan')], { prefix: 'uploads' });
    const owned = await blobs.put([new TextEncoder().encode('owned')], { prefix: 'uploads' });
    const fresh = await blobs.put([new TextEncoder().encode('fresh')], { prefix: 'uploads' });
    await jobs.create({
      id: 'j',
      filename: 'a.csv',
      inputKey: owned.key,
      sizeBytes: 5,
      onInvalid: 'fail',
    });
    for (const key of [orphan.key, owned.key]) {
      await utimes(join(directory, key), anHourAgo(), anHourAgo());
    }
    const sweeper = createSweeper({ jobs, blobs, storageDir: directory, tempDir: directory });
    expect((await sweeper.runOnce()).orphanUploads).toBe(1);
    expect(await blobs.stat(orphan.key)).toBeUndefined();
    expect(await blobs.stat(owned.key)).toBeDefined();
    expect(await blobs.stat(fresh.key)).toBeDefined();
  });

  it('expires results past their time-to-live: the job shows expired and the blob is gone', async () => {
    const blobs = createFsBlobStore({ directory });
    const jobs = createMemoryJobStore();
    const result = await blobs.put([new TextEncoder().encode('Song,Date,Total\n')], {
      prefix: 'results',
    });
    await jobs.create({
      id: 'old',
      filename: 'a.csv',
      inputKey: 'uploads/x',
      sizeBytes: 1,
      onInvalid: 'fail',
    });
    await jobs.create({
      id: 'new',
      filename: 'b.csv',
      inputKey: 'uploads/y',
      sizeBytes: 1,
      onInvalid: 'fail',
    });
    await jobs.transition('old', ['queued'], {
      status: 'succeeded',
      resultKey: result.key,
      finishedAt: new Date(Date.now() - 8 * 24 * 3_600_000).toISOString(),
    });
    await jobs.transition('new', ['queued'], {
      status: 'succeeded',
      resultKey: 'results/kept',
      finishedAt: new Date().toISOString(),
    });
    const sweeper = createSweeper({ jobs, blobs, storageDir: directory, tempDir: directory });
    expect((await sweeper.runOnce()).expiredResults).toBe(1);
    expect(await jobs.get('old')).toMatchObject({ status: 'expired', resultKey: null });
    expect(await jobs.get('new')).toMatchObject({ status: 'succeeded' });
    expect(await blobs.stat(result.key)).toBeUndefined();
  });
});
