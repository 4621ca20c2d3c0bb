import { randomUUID } from 'node:crypto';
import { createReadStream, createWriteStream } from 'node:fs';
import { rm } from 'node:fs/promises';
import { join } from 'node:path';
import { PassThrough } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import {
  type AggregateProgress,
  type AggregateStatistics,
  aggregateSourceRange,
  combineRangeStatistics,
  isPlaytallyError,
  mergePartialRuns,
  type PlaytallyErrorCode,
  type RangeStatistics,
} from '@playtally/core';
import type { Transport } from '@playtally/transport';
import { errorFields, type Logger } from '@playtally/transport';
import type { Job, JobLease } from '../domain/job.js';
import type { JobPart } from '../domain/job-part.js';
import { errorMessage } from '../errors.js';
import { EVENT_TYPES, type JobEventType, type JobRequestedData } from '../events/events.js';
import { jobPartRequestedEvent, jobRequestedEvent } from '../events/outgoing.js';
import { type TopicNames, WORKER_SOURCE } from '../events/topics.js';
import type { BlobStore } from '../ports/blob-store.js';
import type { JobStore } from '../ports/job-store.js';
import type { WorkerJob } from '../worker/create-worker.js';
import { decideSplit, deletePartials, partialsPrefix } from './partials.js';
import { createProgressThrottle } from './progress-throttle.js';
import { recordSucceeded } from './record-success.js';
import { readBlobHeader } from './split-plan.js';

/** What the split runs borrow from the job worker that hosts them. */
export interface SplitRunContext {
  readonly jobs: JobStore;
  readonly blobs: BlobStore;
  readonly transport: Transport;
  readonly topics: TopicNames;
  /** Engine errors that mean the input is bad. */
  readonly badInputCodes: readonly PlaytallyErrorCode[];
  /** Memory one run may use. */
  readonly runBudget: number;
  /** Publish progress when this long has passed since the last report. */
  readonly progressIntervalMs: number;
  /** This process's spill folder, once started. */
  tempDir(): string | undefined;
  /** Runs a store call, held while the database is away. */
  stored<T>(operation: () => Promise<T>, signal?: AbortSignal): Promise<T>;
  publish(type: JobEventType, job: Job, log: Logger): Promise<void>;
  /** Fails the job under `lease` and publishes `job.failed`. */
  fail(job: Job, lease: JobLease, code: string, message: string, log: Logger): Promise<void>;
  /** The job's lease once no other run holds it; `undefined` when the job finished meanwhile. */
  takeLease(task: WorkerJob<JobRequestedData>, log: Logger): Promise<JobLease | undefined>;
  /** Renews the lease while a run goes on. */
  keepLease(lease: JobLease, log: Logger): { current(): JobLease; stop(): void };
  /** Stops the run of task `id` in this worker. */
  cancelTask(id: string, reason: string): boolean;
}

/** The two kinds of task of a split job. */
export interface SplitRuns {
  /** Aggregates one part into a partial result blob, recorded with the part (idempotent). */
  runPart(job: Job, index: number, task: WorkerJob<JobRequestedData>, log: Logger): Promise<void>;
  /**
   * Settles the job once its parts decide it: merges the partial results into the result, or
   * fails the job with the first bad part's error. Parts not done yet are requested again
   * (a reconciler sent this after the job went quiet) and the job is left to them.
   */
  settle(job: Job, task: WorkerJob<JobRequestedData>, log: Logger): Promise<void>;
}

/**
 * The flows of a split job (see `JobServiceOptions.splitBytes`): each part, a byte range of the
 * upload starting on a record boundary, is aggregated by whichever worker takes its task into a
 * sorted partial result; its outcome is recorded with the part in one compare-and-set, so a
 * redelivered part (its worker died) is simply run again and nothing counts twice. The run
 * that records the deciding part asks for the settle task, which merges the partial results
 * k-way into the result under the job's lease, or fails the job with the earliest error.
 */
export function createSplitRuns(context: SplitRunContext): SplitRuns {
  const { jobs, blobs, topics, stored } = context;

  /** Asks any worker to settle the job (a plain `job.requested`, keyed by the job). */
  const requestSettle = async (job: Job) => {
    const { event } = jobRequestedEvent(job, topics);
    await context.transport.publish(topics.jobs, { ...event, source: WORKER_SOURCE });
  };

  const runFile = (job: Job, name: string): string =>
    join(context.tempDir() ?? '.', `${job.id}-${name}-${randomUUID().slice(0, 8)}.run`);

  /** Aggregates `[start, end)` of the upload into a local run file. */
  const aggregateRange = async (
    job: Job,
    range: { start: number; end: number; line: number },
    runPath: string,
    signal: AbortSignal,
    onProgress?: (progress: AggregateProgress) => void,
  ): Promise<RangeStatistics> => {
    const header = await readBlobHeader(blobs, job.inputKey, signal);
    const source = await blobs.read(job.inputKey, { start: range.start, end: range.end });
    const tempDir = context.tempDir();
    try {
      return await aggregateSourceRange(source, range, runPath, {
        header,
        endsAtSplit: range.end < job.sizeBytes,
        onInvalid: job.onInvalid,
        memoryBudget: context.runBudget,
        ...(tempDir === undefined ? {} : { tempDir }),
        signal,
        ...(onProgress === undefined ? {} : { onProgress }),
        progressIntervalMs: Math.min(250, context.progressIntervalMs),
      });
    } finally {
      source.destroy();
    }
  };

  /** Records a part's outcome; `undefined` when another run recorded it first or the job ended. */
  const recordPart = (job: Job, index: number, patch: Parameters<JobStore['updatePart']>[3]) =>
    stored(() => jobs.updatePart(job.id, index, ['queued', 'running'], patch));

  const afterRecorded = async (updated: { job: Job }, log: Logger) => {
    await context.publish(EVENT_TYPES.jobProgress, updated.job, log);
    const parts = await stored(() => jobs.listParts(updated.job.id));
    if (decideSplit(parts).kind !== 'wait') await requestSettle(updated.job);
  };

  const runPart: SplitRuns['runPart'] = async (job, index, task, log) => {
    const partLog = log.child({ part: index });
    const parts = await stored(() => jobs.listParts(job.id), task.signal);
    const part = parts[index];
    if (part === undefined) return partLog.warn('job.requested for an unknown part; ignored');
    if (part.status === 'done') {
      // A redelivery after the outcome was recorded: make sure the settle was asked for.
      if (decideSplit(parts).kind !== 'wait') await requestSettle(job);
      return partLog.debug('part already done; delivery ignored');
    }
    const started = await stored(
      () =>
        jobs.updatePart(job.id, index, ['queued', 'running'], {
          status: 'running',
          bytesRead: 0,
          rowsRead: 0,
        }),
      task.signal,
    );
    if (started === undefined) return partLog.info('job finished or part done meanwhile');
    if (started.started) await context.publish(EVENT_TYPES.jobStarted, started.job, log);
    partLog.info({ start: part.start, end: part.end, attempt: task.attempt }, 'part started');

    const due = createProgressThrottle({
      totalBytes: part.end - part.start,
      intervalMs: context.progressIntervalMs,
    });
    let reporting: Promise<void> | undefined;
    const onProgress = (progress: AggregateProgress): void => {
      if (reporting || !due(progress)) return;
      reporting = stored(() =>
        jobs.updatePart(job.id, index, ['running'], {
          bytesRead: progress.bytesRead,
          rowsRead: progress.rowsRead,
        }),
      )
        .then(async (updated) => {
          // The job ended (cancelled, failed) or another run recorded this part: stop.
          if (updated === undefined) return void context.cancelTask(task.id, 'superseded');
          await context.publish(EVENT_TYPES.jobProgress, updated.job, log);
        })
        .catch((error) => partLog.warn(errorFields(error), 'could not record part progress'))
        .finally(() => {
          reporting = undefined;
        });
    };

    const runPath = runFile(job, `part-${index}`);
    let runKey: string | undefined;
    try {
      const statistics = await aggregateRange(job, part, runPath, task.signal, onProgress);
      await reporting;
      runKey = (
        await blobs.put(createReadStream(runPath), {
          prefix: partialsPrefix(job.id),
          signal: task.signal,
        })
      ).key;
      const done = await recordPart(job, index, {
        status: 'done',
        bytesRead: statistics.bytesRead,
        rowsRead: statistics.rowsRead,
        runKey,
        statistics,
      });
      if (done === undefined) {
        await blobs.delete(runKey).catch(() => {});
        return partLog.info('part recorded by another run, or the job ended; result discarded');
      }
      partLog.info({ rowsRead: statistics.rowsRead }, 'part done');
      await afterRecorded(done, log);
    } catch (error) {
      await reporting;
      if (runKey !== undefined) await blobs.delete(runKey).catch(() => {});
      if (task.signal.aborted) throw error;
      const current = await stored(() => jobs.get(job.id)).catch(() => undefined);
      if (current === undefined || current.status === 'cancelled' || current.status === 'failed')
        return partLog.info('job ended while its part ran');
      const bad = isPlaytallyError(error) && context.badInputCodes.includes(error.code);
      if (!bad && !task.lastAttempt) {
        partLog.error({ ...errorFields(error), attempt: task.attempt }, 'part run failed');
        throw error;
      }
      const code = isPlaytallyError(error) ? error.code : 'INTERNAL';
      const message = bad
        ? errorMessage(error)
        : `gave up after ${task.attempt} attempts: ${errorMessage(error)}`;
      const failed = await recordPart(job, index, { status: 'done', error: { code, message } });
      partLog.warn({ code, reason: message }, 'part failed');
      if (failed !== undefined) await afterRecorded(failed, log);
    } finally {
      await rm(runPath, { force: true }).catch(() => {});
    }
  };

  /** Merges the partial results into the result blob; the caller records it. */
  const merge = async (
    job: Job,
    parts: readonly JobPart[],
    signal: AbortSignal,
  ): Promise<{ resultKey: string; statistics: AggregateStatistics }> => {
    const startedAt = performance.now();
    const local: string[] = [];
    try {
      const statistics: RangeStatistics[] = [];
      for (const part of parts) {
        const path = runFile(job, `merge-${part.index}`);
        local.push(path);
        await pipeline(await blobs.read(part.runKey ?? ''), createWriteStream(path), { signal });
        statistics.push(part.statistics!);
      }
      const resumeAt = statistics.at(-1)?.resumeAt;
      if (resumeAt !== undefined) {
        // Stray quotes fooled the split: the rest of the input is read as one range here.
        const rest = { start: resumeAt.offset, end: job.sizeBytes, line: resumeAt.line };
        const path = runFile(job, 'rest');
        local.push(path);
        statistics.push(await aggregateRange(job, rest, path, signal));
      }
      const pipe = new PassThrough();
      pipe.on('error', () => {});
      const storing = blobs.put(pipe, { prefix: 'results', signal });
      storing.catch(() => {});
      let groupsWritten: number;
      try {
        groupsWritten = await mergePartialRuns(local, pipe, { signal });
      } catch (error) {
        pipe.destroy(error instanceof Error ? error : new Error(String(error)));
        const leftover = await storing.catch(() => undefined);
        if (leftover) await blobs.delete(leftover.key).catch(() => {});
        throw error;
      }
      const { key } = await storing;
      const headerBytes = parts[0]?.start ?? 0;
      const combined = combineRangeStatistics(statistics, headerBytes, 5);
      const partsMs = Math.max(...statistics.map((s) => s.durationMs));
      const durationMs = Math.round(partsMs + performance.now() - startedAt);
      return { resultKey: key, statistics: { ...combined, groupsWritten, durationMs } };
    } finally {
      for (const path of local) await rm(path, { force: true }).catch(() => {});
    }
  };

  const settle: SplitRuns['settle'] = async (job, task, log) => {
    const parts = await stored(() => jobs.listParts(job.id), task.signal);
    const outcome = decideSplit(parts);
    if (outcome.kind === 'wait') {
      const missing = parts.filter((part) => part.status !== 'done');
      for (const part of missing) {
        const { event } = jobPartRequestedEvent(job, part.index, topics, WORKER_SOURCE);
        await context.transport.publish(topics.jobs, event);
      }
      return log.info({ parts: missing.length }, 'parts not done requested again');
    }
    const lease = await context.takeLease(task, log);
    if (lease === undefined) return log.info('job finished by another run; delivery ignored');
    const held = context.keepLease(lease, log);
    let resultKey: string | undefined;
    try {
      const fresh = (await stored(() => jobs.get(job.id), task.signal)) ?? job;
      if (outcome.kind === 'fail') {
        const { code, message } = outcome.error;
        await context.fail(fresh, held.current(), code, message, log);
        await deletePartials(jobs, blobs, job.id);
        return;
      }
      const merging = await stored(() =>
        jobs.transition(
          job.id,
          ['queued', 'processing'],
          { status: 'processing', attempts: fresh.attempts + 1 },
          { lease: held.current() },
        ),
      );
      if (merging === undefined) return log.info('job ended before its merge');
      log.info({ parts: outcome.parts.length }, 'merging parts');
      const merged = await merge(fresh, outcome.parts, task.signal);
      resultKey = merged.resultKey;
      const { statistics } = merged;
      const succeeded = await recordSucceeded(jobs, stored, job, merged, () => held.current());
      if (!succeeded) {
        await blobs.delete(resultKey);
        return log.info('job stopped or fenced off before its result was recorded; discarded');
      }
      resultKey = undefined;
      log.info({ rowsRead: statistics.rowsRead, parts: parts.length }, 'job succeeded');
      // The partial results go before the news does: a job seen completed has none left.
      await deletePartials(jobs, blobs, job.id);
      await context.publish(EVENT_TYPES.jobCompleted, succeeded, log);
      await blobs.delete(job.inputKey).catch(() => {});
    } catch (error) {
      if (resultKey !== undefined) await blobs.delete(resultKey).catch(() => {});
      const current = await stored(() => jobs.get(job.id)).catch(() => undefined);
      if (current !== undefined && current.status !== 'processing' && current.status !== 'queued')
        return;
      if (!task.signal.aborted && task.lastAttempt) {
        const code = isPlaytallyError(error) ? error.code : 'INTERNAL';
        const reason = `gave up merging after ${task.attempt} attempts: ${errorMessage(error)}`;
        if (current !== undefined) await context.fail(current, held.current(), code, reason, log);
        await deletePartials(jobs, blobs, job.id);
      } else {
        await jobs.releaseLease(held.current()).catch(() => {});
      }
      throw error;
    } finally {
      held.stop();
    }
  };

  return { runPart, settle };
}
