import type { RangeStatistics } from '@playtally/core';
import type { JobError } from './job.js';

/*
 * A job whose upload is larger than the split size is cut, on exact record boundaries, into
 * parts: byte ranges that any worker aggregates into a sorted partial result, which one merge
 * merges into the job's result. The parts are stored with the job.
 */

/** A part's life: queued → running → done. A run that dies leaves it running until rerun. */
export type JobPartStatus = 'queued' | 'running' | 'done';

/** A split job's parts at a glance, as the job shows them (`null` on an unsplit job). */
export interface JobPartCounts {
  readonly total: number;
  readonly done: number;
  readonly running: number;
}

/** One part as created: `[start, end)` of the upload, whose first byte is on line `line`. */
export interface NewJobPart {
  readonly start: number;
  readonly end: number;
  readonly line: number;
}

/** One part of a split job. */
export interface JobPart extends NewJobPart {
  readonly jobId: string;
  /** 0-based position in the upload. */
  readonly index: number;
  readonly status: JobPartStatus;
  /** Bytes of the part read by its current (or finished) run. */
  readonly bytesRead: number;
  readonly rowsRead: number;
  /** Blob key of the part's sorted partial result, once done. */
  readonly runKey: string | null;
  /** What aggregating the part gave, once done without error. */
  readonly statistics: RangeStatistics | null;
  /** Why the part's input is bad (the engine's error, global line included), once done so. */
  readonly error: JobError | null;
  readonly updatedAt: string;
}

/** Fields {@link JobStore.updatePart} may set. */
export type JobPartPatch = Partial<
  Pick<JobPart, 'status' | 'bytesRead' | 'rowsRead' | 'runKey' | 'statistics' | 'error'>
>;

/** Part counts and progress of a job from its parts: what every part update recomputes. */
export function summarizeParts(
  parts: readonly Pick<JobPart, 'status' | 'bytesRead' | 'rowsRead'>[],
): {
  counts: JobPartCounts;
  bytesRead: number;
  rowsRead: number;
} {
  let done = 0;
  let running = 0;
  let bytesRead = 0;
  let rowsRead = 0;
  for (const part of parts) {
    if (part.status === 'done') done += 1;
    else if (part.status === 'running') running += 1;
    bytesRead += part.bytesRead;
    rowsRead += part.rowsRead;
  }
  return { counts: { total: parts.length, done, running }, bytesRead, rowsRead };
}
