import { mkdtemp, readdir, rm, utimes, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { createFsBlobStore } from '../stores/fs-blob-store.js';
import { sweepStaleBlobWrites } from './sweep-stale-blobs.js';

describe('sweepStaleBlobWrites', () => {
  let directory: string;
  afterEach(() => rm(directory, { recursive: true, force: true }));

  it('removes temporary files a killed write left behind, and keeps blobs and recent writes', async () => {
    directory = await mkdtemp(join(tmpdir(), 'playtally-sweep-'));
    const blobs = createFsBlobStore({ directory });
    const { key } = await blobs.put([Buffer.from('kept')], { prefix: 'uploads' });
    const folder = join(directory, 'uploads');
    const stale = join(folder, '.tmp-00000000-0000-4000-8000-000000000001');
    const fresh = join(folder, '.tmp-00000000-0000-4000-8000-000000000002');
    await writeFile(stale, 'half a file');
    await writeFile(fresh, 'being written');
    const twoHoursAgo = new Date(Date.now() - 2 * 3_600_000);
    await utimes(stale, twoHoursAgo, twoHoursAgo);

    expect(await sweepStaleBlobWrites(directory)).toBe(1);

    const left = await readdir(folder);
    expect(left).not.toContain('.tmp-00000000-0000-4000-8000-000000000001');
    expect(left).toContain('.tmp-00000000-0000-4000-8000-000000000002');
    expect((await blobs.stat(key))?.size).toBe(4);
  });

  it('treats a directory that does not exist yet as clean', async () => {
    directory = join(tmpdir(), `playtally-sweep-missing-${process.pid}`);
    expect(await sweepStaleBlobWrites(directory)).toBe(0);
  });
});
