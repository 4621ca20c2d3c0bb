import { errorFields, type Logger, silentLogger, sleepUnlessAborted } from '@playtally/transport';
import type { BlobStore } from '../ports/blob-store.js';
import type { JobStore } from '../ports/job-store.js';
import { expireResults } from './expire-results.js';
import { sweepSpillFolders } from './spill-folder.js';
import { sweepOrphanUploads } from './sweep-orphan-uploads.js';
import { sweepStaleBlobWrites } from './sweep-stale-blobs.js';

/** Options of {@link createSweeper}. */
export interface SweeperOptions {
  jobs: JobStore;
  blobs: BlobStore;
  /**
   * Root of a filesystem blob store, for temporary writes and orphan uploads; without one (an
   * S3 bucket), only spill folders and expired results are swept. @default none
   */
  storageDir?: string | undefined;
  /** Where workers spill; folders of processes that are gone are removed. @default os.tmpdir() */
  tempDir?: string;
  /** Results older than this expire. @default 604800000 (7 days) */
  resultTtlMs?: number;
  /** Uploads no job references are removed once this old. @default 3600000 (1 hour) */
  orphanGraceMs?: number;
  /** Temporary blob writes are removed once untouched this long. @default 3600000 (1 hour) */
  staleWriteMs?: number;
  /** Time between sweeps. @default 600000 (10 min) */
  intervalMs?: number;
  /** @default silentLogger */
  logger?: Logger;
}

/** What one sweep removed. */
export interface SweepCounts {
  readonly spillFolders: number;
  readonly temporaryBlobs: number;
  readonly orphanUploads: number;
  readonly expiredResults: number;
}

/** The sweeper started by {@link createSweeper}. */
export interface Sweeper {
  /** Sweeps now, then every `intervalMs`. Idempotent. */
  start(): void;
  /** One sweep; every part runs even when another fails (failures are logged). */
  runOnce(): Promise<SweepCounts>;
  /** Stops after the sweep in progress. */
  close(): Promise<void>;
}

/**
 * Removes what nothing else would, at start-up and periodically: spill folders of dead worker
 * processes, temporary files of interrupted blob writes, uploads no job references, and
 * results past their time-to-live (their jobs become `expired`). Every part is safe to run in
 * several processes at once.
 *
 * @example
 * ```ts
 * const sweeper = createSweeper({ jobs, blobs, storageDir: './data/blobs' });
 * sweeper.start();
 * ```
 */
export function createSweeper(options: SweeperOptions): Sweeper {
  const logger = options.logger ?? silentLogger;
  const stopping = new AbortController();
  let loop: Promise<void> | undefined;

  const part = async (name: string, sweep: () => Promise<number>): Promise<number> => {
    try {
      return await sweep();
    } catch (error) {
      logger.warn({ ...errorFields(error), part: name }, 'sweeper: part failed; will retry');
      return 0;
    }
  };

  const { storageDir } = options;
  const runOnce = async (): Promise<SweepCounts> => {
    const counts: SweepCounts = {
      spillFolders: await part('spill folders', () => sweepSpillFolders(options.tempDir)),
      temporaryBlobs: await part('temporary blobs', async () =>
        storageDir === undefined
          ? 0
          : sweepStaleBlobWrites(storageDir, { olderThanMs: options.staleWriteMs ?? 3_600_000 }),
      ),
      orphanUploads: await part('orphan uploads', async () =>
        storageDir === undefined
          ? 0
          : sweepOrphanUploads({
              directory: storageDir,
              jobs: options.jobs,
              graceMs: options.orphanGraceMs ?? 3_600_000,
            }),
      ),
      expiredResults: await part('expired results', () =>
        expireResults({
          jobs: options.jobs,
          blobs: options.blobs,
          ttlMs: options.resultTtlMs ?? 7 * 24 * 3_600_000,
        }),
      ),
    };
    if (Object.values(counts).some((n) => n > 0))
      logger.info({ ...counts }, 'sweeper: removed leftovers');
    return counts;
  };

  return {
    start() {
      loop ??= (async () => {
        while (!stopping.signal.aborted) {
          await runOnce();
          await sleepUnlessAborted(options.intervalMs ?? 600_000, stopping.signal);
        }
      })();
    },
    runOnce,
    async close() {
      stopping.abort();
      await loop;
    },
  };
}
