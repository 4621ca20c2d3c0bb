import { constants } from 'node:fs';
import { access, type FileHandle, mkdir, open, rename, rm, stat } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { Readable } from 'node:stream';
import { type ByteSource, PlaytallyError, sourceChunks } from '@playtally/core';
import type { BlobInfo, BlobRange, BlobStore, PutBlobOptions } from '../ports/blob-store.js';
import { checkBlobPrefix, newBlobKey, parseBlobKey } from './blob-keys.js';
import { checkBlobRange } from './blob-range.js';
import { expectedBytesError } from './expected-bytes.js';
import { probeWritable } from './storage-probe.js';

/** Options of {@link createFsBlobStore}. */
export interface FsBlobStoreOptions {
  /** Root directory of the blobs; created on first write. Blobs live in `<directory>/<prefix>/`. */
  directory: string;
}

/** Size of reads, and of writes once small incoming chunks are gathered. */
const IO_CHUNK_BYTES = 1 << 20;

/** How much is written between the background syncs of a large blob. */
const SYNC_EVERY_BYTES = 32 << 20;

/**
 * A {@link BlobStore} on the local filesystem. Keys are `<prefix>/<uuid>`, generated here and
 * checked against a strict pattern on every read, so no string a client sends (`../etc/passwd`,
 * an absolute path) can reach a file outside `directory`: it is simply not found.
 *
 * `put` streams into a temporary file (`.tmp-<uuid>`, opened with `O_EXCL` next to its final
 * place), fsyncs it and renames it into place, so readers see the whole blob or nothing; past
 * `maxBytes`, on abort, or when the source fails, the temporary file is removed. Reads stream
 * from disk, whole or a byte range; nothing is held in memory beyond one chunk.
 *
 * @example
 * ```ts
 * import { createReadStream } from 'node:fs';
 * import { createFsBlobStore } from '@playtally/core';
 * const blobs = createFsBlobStore({ directory: './data/blobs' });
 * const { key, size } = await blobs.put(createReadStream('plays.csv'), { prefix: 'uploads' });
 * (await blobs.read(key)).pipe(process.stdout);
 * ```
 */
export function createFsBlobStore(options: FsBlobStoreOptions): BlobStore {
  const root = resolve(options.directory);
  const pathOf = (key: string): string | undefined => {
    const parts = parseBlobKey(key);
    return parts === undefined ? undefined : join(root, parts.prefix, parts.id);
  };

  return {
    async put(source: ByteSource, putOptions: PutBlobOptions = {}): Promise<BlobInfo> {
      const { prefix, id } = newBlobKey(putOptions.prefix);
      if (putOptions.signal?.aborted) throw abortError(putOptions.signal);
      const folder = join(root, prefix);
      const what = `store blob ${prefix}/${id}`;
      const temporary = join(folder, `.tmp-${id}`);
      let handle: FileHandle;
      try {
        await mkdir(folder, { recursive: true });
        handle = await open(temporary, 'wx', 0o600);
      } catch (error) {
        throw storageError(error, what);
      }
      let size: number;
      try {
        size = await copyInto(handle, source, putOptions);
        await handle.datasync();
      } catch (error) {
        await handle.close().catch(() => {});
        await rm(temporary, { force: true });
        throw storageError(error, what);
      }
      try {
        await handle.close();
        await rename(temporary, join(folder, id));
        await syncDirectory(folder);
      } catch (error) {
        await rm(temporary, { force: true });
        throw storageError(error, what);
      }
      return { key: `${prefix}/${id}`, size };
    },

    async read(key: string, range?: BlobRange): Promise<Readable> {
      const { start, end } = checkBlobRange(key, range);
      const path = pathOf(key);
      const handle = path === undefined ? undefined : await openExisting(path);
      if (handle === undefined) throw notFound(key);
      if (end !== undefined && end <= start) {
        await handle.close();
        return Readable.from([]);
      }
      // 1 MiB reads, as the CLI reads files: the engine's per-chunk work is amortised.
      // createReadStream's `end` is inclusive; the port's is exclusive.
      return handle.createReadStream({
        highWaterMark: IO_CHUNK_BYTES,
        start,
        ...(end === undefined ? {} : { end: end - 1 }),
      });
    },

    async stat(key: string): Promise<BlobInfo | undefined> {
      const path = pathOf(key);
      if (path === undefined) return undefined;
      try {
        const info = await stat(path);
        return info.isFile() ? { key, size: info.size } : undefined;
      } catch (error) {
        if (isMissing(error)) return undefined;
        throw error;
      }
    },

    async delete(key: string): Promise<void> {
      const path = pathOf(key);
      if (path !== undefined) await rm(path, { force: true });
    },

    async deletePrefix(prefix: string): Promise<void> {
      checkBlobPrefix(prefix);
      // The prefix's folder, temporary files of unfinished puts included.
      await rm(join(root, prefix), { recursive: true, force: true });
    },

    async ping(): Promise<void> {
      try {
        await mkdir(root, { recursive: true });
        await access(root, constants.R_OK | constants.W_OK);
      } catch (error) {
        throw new PlaytallyError(
          'STORE_ERROR',
          `fs blob store: the directory ${root} cannot be used: ${(error as Error).message}`,
          { cause: error, details: { directory: root, component: 'storage' } },
        );
      }
      // Permissions are not enough: a full or read-only disk shows only when written to.
      await probeWritable(root);
    },
  };
}

/** Streams `source` into `handle`, enforcing `maxBytes` and `signal`; returns the byte count. */
async function copyInto(
  handle: FileHandle,
  source: ByteSource,
  { maxBytes = Number.POSITIVE_INFINITY, signal, expectedBytes }: PutBlobOptions,
): Promise<number> {
  const chunks = sourceChunks(source);
  const release = (): void => {
    chunks.return?.().catch(() => {});
  };
  let aborted: Promise<never> | undefined;
  let onAbort: (() => void) | undefined;
  if (signal !== undefined) {
    aborted = new Promise<never>((_, reject) => {
      onAbort = () => reject(abortError(signal));
      signal.addEventListener('abort', onAbort, { once: true });
    });
    aborted.catch(() => {});
  }
  let size = 0;
  // Network chunks are often 16-64 KiB: they are gathered into writes of about IO_CHUNK_BYTES,
  // so a large upload costs a few hundred write calls rather than thousands.
  const gathered: Uint8Array[] = [];
  let gatheredBytes = 0;
  // Large blobs are flushed to disk while they arrive (one background datasync at a time, every
  // SYNC_EVERY_BYTES), so the final sync only has the tail left to write.
  let unsynced = 0;
  let syncing: Promise<void> | undefined;
  // A failed background sync fails the put: a later sync may well succeed without having written
  // those pages (Linux reports a writeback error once), so it must not be forgotten.
  let syncFailure: { readonly error: unknown } | undefined;
  const flush = async (): Promise<void> => {
    if (syncFailure !== undefined) throw syncFailure.error;
    if (gatheredBytes === 0) return;
    const chunk =
      gathered.length === 1 ? (gathered[0] as Uint8Array) : Buffer.concat(gathered, gatheredBytes);
    gathered.length = 0;
    gatheredBytes = 0;
    await writeFully(handle, chunk);
    unsynced += chunk.byteLength;
    if (unsynced >= SYNC_EVERY_BYTES && syncing === undefined) {
      unsynced = 0;
      syncing = handle.datasync().then(
        () => {
          syncing = undefined;
        },
        (error: unknown) => {
          syncing = undefined;
          syncFailure ??= { error };
        },
      );
    }
  };
  try {
    for (;;) {
      if (signal?.aborted) throw abortError(signal);
      const next =
        aborted === undefined ? await chunks.next() : await Promise.race([chunks.next(), aborted]);
      if (next.done) {
        if (expectedBytes !== undefined && size !== expectedBytes) {
          throw expectedBytesError(expectedBytes, size, true);
        }
        await flush();
        await syncing;
        if (syncFailure !== undefined) throw syncFailure.error;
        return size;
      }
      size += next.value.byteLength;
      if (size > maxBytes) {
        throw new PlaytallyError(
          'PAYLOAD_TOO_LARGE',
          `Blob exceeds the limit of ${maxBytes} bytes`,
          {
            details: { maxBytes },
          },
        );
      }
      if (expectedBytes !== undefined && size > expectedBytes) {
        throw expectedBytesError(expectedBytes, size, false);
      }
      gathered.push(next.value);
      gatheredBytes += next.value.byteLength;
      if (gatheredBytes >= IO_CHUNK_BYTES) await flush();
    }
  } catch (error) {
    release();
    throw error;
  } finally {
    if (onAbort !== undefined) signal?.removeEventListener('abort', onAbort);
  }
}

async function writeFully(handle: FileHandle, chunk: Uint8Array): Promise<void> {
  let offset = 0;
  while (offset < chunk.byteLength) {
    const { bytesWritten } = await handle.write(chunk, offset, chunk.byteLength - offset);
    offset += bytesWritten;
  }
}

/**
 * A file system error as the service sees it: a full or read-only disk is `STORAGE_FULL` whose
 * message says so in words ("disk full", "read-only"); any other is `STORE_ERROR`. Both name
 * the component (`storage`); the path stays in the cause, for the log. Errors that already are
 * {@link PlaytallyError}s (a size limit, an abort, the source's own failure) pass through.
 */
function storageError(error: unknown, what: string): unknown {
  if (error instanceof PlaytallyError) return error;
  const code = (error as NodeJS.ErrnoException | undefined)?.code;
  const reason = code === undefined ? undefined : FULL_DISK_REASONS[code];
  if (reason !== undefined) {
    return new PlaytallyError('STORAGE_FULL', `could not ${what}: ${reason} (${code})`, {
      cause: error,
      details: { component: 'storage', reason },
    });
  }
  if (typeof code === 'string' && /^E[A-Z]+$/.test(code)) {
    return new PlaytallyError('STORE_ERROR', `could not ${what}: ${code}`, {
      cause: error,
      details: { component: 'storage' },
    });
  }
  return error;
}

const FULL_DISK_REASONS: Readonly<Record<string, string>> = {
  ENOSPC: 'disk full',
  EDQUOT: 'disk quota exceeded',
  EROFS: 'read-only file system',
};

function abortError(signal: AbortSignal): PlaytallyError {
  return new PlaytallyError('ABORTED', 'Blob upload was aborted', { cause: signal.reason });
}

async function openExisting(path: string): Promise<FileHandle | undefined> {
  try {
    const handle = await open(path, 'r');
    if ((await handle.stat()).isFile()) return handle;
    await handle.close();
    return undefined;
  } catch (error) {
    if (isMissing(error)) return undefined;
    throw error;
  }
}

/** Makes the rename durable; some platforms cannot fsync a directory, which is harmless. */
async function syncDirectory(path: string): Promise<void> {
  let handle: FileHandle | undefined;
  try {
    handle = await open(path, 'r');
    await handle.sync();
  } catch {
    // Best effort: the blob is already complete and in place.
  } finally {
    await handle?.close().catch(() => {});
  }
}

function isMissing(error: unknown): boolean {
  const code = (error as NodeJS.ErrnoException | undefined)?.code;
  return code === 'ENOENT' || code === 'ENOTDIR' || code === 'EISDIR';
}

function notFound(key: string): PlaytallyError {
  return new PlaytallyError('NOT_FOUND', `No blob with key "${key}"`, { details: { key } });
}
