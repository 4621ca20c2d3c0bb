import type { JobError } from '../domain/job.js';
import type { JobPart } from '../domain/job-part.js';
import type { BlobStore } from '../ports/blob-store.js';
import type { JobStore } from '../ports/job-store.js';

/**
 * The blob prefix of a split job's partial results (`partials-<job id>`), so that they can be
 * removed together, those of runs that died before recording theirs included.
 */
export function partialsPrefix(jobId: string): string {
  return `partials-${jobId}`;
}

/**
 * Removes the partial results of a split job's parts (missing ones are fine): where the store
 * can, everything under the job's {@link partialsPrefix} at once (a run killed after storing its
 * partial result, or in the middle of storing it, leaves one unrecorded), and one by one the
 * recorded ones it does not cover (a store without `deletePrefix`, or keys stored elsewhere by
 * an earlier version).
 */
export async function deletePartials(
  jobs: JobStore,
  blobs: BlobStore,
  jobId: string,
): Promise<void> {
  const prefix = partialsPrefix(jobId);
  const swept = blobs.deletePrefix !== undefined;
  const parts = await jobs.listParts(jobId).catch(() => []);
  for (const part of parts) {
    if (part.runKey === null || (swept && part.runKey.startsWith(`${prefix}/`))) continue;
    await blobs.delete(part.runKey).catch(() => {});
  }
  await blobs.deletePrefix?.(prefix).catch(() => {});
}

/** What the parts of a split job decide, so far. */
export type SplitOutcome =
  | { readonly kind: 'wait' }
  | { readonly kind: 'fail'; readonly error: JobError }
  /** Merge the first `parts` parts; when the last of them ended early, aggregate the rest too. */
  | { readonly kind: 'merge'; readonly parts: readonly JobPart[] };

/**
 * Whether a split job's outcome is known, read as one pass over the whole input would meet it:
 * in input order, the first part that failed decides (its error has the smallest line of all,
 * as every line of the parts after it is later), and so does the first part that ended early
 * (its split was fooled by stray quotes: the parts after it were cut in the wrong places and
 * are not used). Until every part before such a one is done, the outcome waits.
 */
export function decideSplit(parts: readonly JobPart[]): SplitOutcome {
  for (const [index, part] of parts.entries()) {
    if (part.status !== 'done') return { kind: 'wait' };
    if (part.error !== null) return { kind: 'fail', error: part.error };
    if (part.statistics?.resumeAt !== undefined) {
      return { kind: 'merge', parts: parts.slice(0, index + 1) };
    }
  }
  return { kind: 'merge', parts };
}
