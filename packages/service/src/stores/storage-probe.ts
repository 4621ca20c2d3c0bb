import { randomUUID } from 'node:crypto';
import { mkdir, open, rm } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { PlaytallyError } from '@playtally/core';

/**
 * Resolves when `directory` accepts a small write (created, written, synced, removed): what the
 * filesystem blob store's `ping` (the readiness check) adds to a permission check. Rejects with `STORAGE_FULL` when the disk is full
 * or read-only, and with `STORE_ERROR` otherwise; both name the component `storage`.
 *
 * @example
 * ```ts
 * import { probeWritable } from '@playtally/service';
 * await probeWritable('./data/blobs');
 * ```
 */
export async function probeWritable(directory: string): Promise<void> {
  const root = resolve(directory);
  const file = join(root, `.probe-${randomUUID()}`);
  try {
    await mkdir(root, { recursive: true });
    const handle = await open(file, 'wx', 0o600);
    try {
      await handle.write(new Uint8Array(4096).fill(46));
      await handle.datasync();
    } finally {
      await handle.close();
    }
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code ?? 'unknown';
    const full = code === 'ENOSPC' || code === 'EDQUOT' || code === 'EROFS';
    const reason = code === 'EROFS' ? 'read-only file system' : full ? 'disk full' : code;
    throw new PlaytallyError(
      full ? 'STORAGE_FULL' : 'STORE_ERROR',
      `storage is not writable: ${reason}`,
      {
        cause: error,
        details: { component: 'storage', reason },
      },
    );
  } finally {
    await rm(file, { force: true }).catch(() => {});
  }
}
