import type { AggregateProgress } from '@playtally/core';
import { isPlaytallyError, PlaytallyError, type PlaytallyErrorCode } from '@playtally/core';
import type { Subscription, Transport } from '@playtally/transport';
import { errorFields, type Logger, silentLogger } from '@playtally/transport';
import type { Job, JobProgress } from '../domain/job.js';
import { errorMessage } from '../errors.js';
import {
  createJobEvent,
  EVENT_TYPES,
  type JobEventType,
  type JobRequestedData,
} from '../events/events.js';
import { ensureTopics, GROUPS, TOPICS, type TopicNames, WORKER_SOURCE } from '../events/topics.js';
import type { BlobStore } from '../ports/blob-store.js';
import type { JobStore } from '../ports/job-store.js';
import { createWorker, type WorkerJob } from '../worker/create-worker.js';
import { aggregateBlob } from './aggregate-to-blob.js';
import { createProgressThrottle } from './progress-throttle.js';

/** Options of {@link createJobWorker}. */
export interface JobWorkerOptions {
  jobs: JobStore;
  blobs: BlobStore;
  transport: Transport;
  /** Jobs this worker runs at once. @default 2 */
  concurrency?: number;
  /** Memory the engine may use, shared by the concurrent runs. @default 268435456 (256 MiB) */
  memoryBudget?: number;
  /** Directory for the engine's spill files. @default os.tmpdir() */
  tempDir?: string;
  /** Deliveries of one job before it is failed and dead-lettered. @default 5 */
  maxAttempts?: number;
  /** How long `close()` lets running jobs finish before handing them back. @default 30000 */
  closeTimeoutMs?: number;
  /** Publish progress when this long has passed since the last report. @default 1000 */
  progressIntervalMs?: number;
  /** @default TOPICS */
  topics?: TopicNames;
  /** @default silentLogger */
  logger?: Logger;
}

/** A running job worker. */
export interface JobWorker {
  /** Ensures the topics and starts consuming `job.requested` and listening for cancellations. */
  start(): Promise<void>;
  /**
   * Stops taking jobs and lets running ones finish within `closeTimeoutMs`; those still running
   * then are aborted and handed back to the transport, so another worker takes them. Does not
   * close the transport or the stores. Idempotent.
   */
  close(): Promise<void>;
  /** Ids of the jobs running now. */
  running(): readonly string[];
}

/** Engine errors that mean the input is bad: retrying cannot help, so the job fails. */
const BAD_INPUT_CODES: readonly PlaytallyErrorCode[] = [
  'INVALID_INPUT',
  'MISSING_COLUMNS',
  'INVALID_ROW',
  'EMPTY_INPUT',
  'LINE_TOO_LONG',
];

/** How far the engine got in a run: kept at every chunk, so a failure can report it. */
interface Reached {
  bytesRead: number;
  rowsRead: number;
}

/**
 * Creates a worker that consumes `job.requested` in the `workers` group: it marks the job
 * processing, streams its upload through the engine into an atomically stored result, marks it
 * succeeded with the statistics, publishes `job.completed`, and only then acknowledges. It is
 * the song-aggregation processor on the generic {@link createWorker}.
 *
 * Idempotent by job id: a delivery of a finished or cancelled job is acknowledged and ignored.
 * Bad input fails the job with the engine's message (not retried); any other error is thrown
 * so the transport redelivers, and on the last attempt the job is failed too.
 *
 * @example
 * ```ts
 * const worker = createJobWorker({ jobs, blobs, transport, concurrency: 2 });
 * await worker.start();
 * process.once('SIGTERM', () => worker.close());
 * ```
 */
export function createJobWorker(options: JobWorkerOptions): JobWorker {
  const { jobs, blobs, transport } = options;
  const topics = options.topics ?? TOPICS;
  const logger = options.logger ?? silentLogger;
  const concurrency = Math.max(1, options.concurrency ?? 2);
  const runBudget = Math.floor((options.memoryBudget ?? 256 * 1024 ** 2) / concurrency);
  const intervalMs = options.progressIntervalMs ?? 1000;
  let cancellations: Subscription | undefined;
  let starting: Promise<void> | undefined;
  let closing: Promise<void> | undefined;

  const publish = async (type: JobEventType, job: Job, log: Logger): Promise<void> => {
    try {
      await transport.publish(topics.events, createJobEvent(type, job, WORKER_SOURCE));
    } catch (error) {
      log.warn({ ...errorFields(error), type }, 'could not publish job event');
    }
  };

  const fail = async (
    job: Job,
    code: string,
    message: string,
    log: Logger,
    progress?: JobProgress,
  ): Promise<void> => {
    const failed = await jobs.transition(job.id, ['queued', 'processing'], {
      status: 'failed',
      error: { code, message },
      ...(progress ? { progress } : {}),
      finishedAt: new Date().toISOString(),
    });
    if (!failed) return;
    log.warn({ code, reason: message }, 'job failed');
    await publish(EVENT_TYPES.jobFailed, failed, log);
    await blobs.delete(job.inputKey).catch(() => {});
  };

  const runJob = async (
    job: Job,
    task: WorkerJob<JobRequestedData>,
    log: Logger,
    reached: Reached,
  ) => {
    const started = await jobs.transition(job.id, ['queued', 'processing'], {
      status: 'processing',
      attempts: job.attempts + 1,
      startedAt: new Date().toISOString(),
      progress: { bytesRead: 0, totalBytes: job.sizeBytes, rowsRead: 0 },
      error: null,
    });
    if (!started) return; // cancelled between the read and now
    log.info({ attempt: task.attempt, sizeBytes: job.sizeBytes }, 'job started');
    await publish(EVENT_TYPES.jobStarted, started, log);

    const due = createProgressThrottle({ totalBytes: job.sizeBytes, intervalMs });
    let reporting: Promise<void> | undefined;
    const report = async (progress: JobProgress): Promise<void> => {
      const updated = await jobs.transition(job.id, ['processing'], { progress });
      // Not processing any more: cancelled (the event may have been missed) or finished by a
      // duplicate delivery elsewhere. Either way this run's output is not wanted.
      if (!updated) return void worker.cancel(job.id, 'superseded');
      await publish(EVENT_TYPES.jobProgress, updated, log);
    };
    const onProgress = (progress: AggregateProgress): void => {
      reached.rowsRead = progress.rowsRead;
      if (reporting || !due(progress)) return;
      const snapshot = { ...progress, totalBytes: job.sizeBytes };
      reporting = report(snapshot)
        .catch((error) => log.warn(errorFields(error), 'could not record progress'))
        .finally(() => {
          reporting = undefined;
        });
    };

    const { resultKey, statistics } = await aggregateBlob({
      blobs,
      inputKey: job.inputKey,
      onInvalid: job.onInvalid,
      memoryBudget: runBudget,
      ...(options.tempDir === undefined ? {} : { tempDir: options.tempDir }),
      signal: task.signal,
      onProgress,
      onRead: (bytesRead) => {
        reached.bytesRead = bytesRead;
      },
      // The engine reports often enough for the throttle to pick every 5 % or every interval.
      progressIntervalMs: Math.min(250, intervalMs),
    });
    await reporting;
    const succeeded = await jobs.transition(job.id, ['processing'], {
      status: 'succeeded',
      resultKey,
      statistics,
      progress: {
        bytesRead: statistics.bytesRead,
        totalBytes: job.sizeBytes,
        rowsRead: statistics.rowsRead,
      },
      finishedAt: new Date().toISOString(),
    });
    if (!succeeded) {
      // Cancelled (or finished elsewhere) while the result was being written: never serve it.
      await blobs.delete(resultKey);
      log.info('job stopped before its result was recorded; result discarded');
      return;
    }
    log.info({ rowsRead: statistics.rowsRead, durationMs: statistics.durationMs }, 'job succeeded');
    await publish(EVENT_TYPES.jobCompleted, succeeded, log);
    await blobs.delete(job.inputKey).catch(() => {});
  };

  const processJob = async (task: WorkerJob<JobRequestedData>): Promise<void> => {
    const log = logger.child({ jobId: task.data.jobId });
    const job = await jobs.get(task.data.jobId);
    if (!job) return log.warn('job.requested for an unknown job; ignored');
    if (job.status !== 'queued' && job.status !== 'processing') {
      return log.debug({ status: job.status }, 'job already finished; delivery ignored');
    }
    const reached: Reached = { bytesRead: 0, rowsRead: 0 };
    try {
      await runJob(job, task, log, reached);
    } catch (error) {
      const current = await jobs.get(job.id);
      if (!current || (current.status !== 'queued' && current.status !== 'processing')) return;
      if (task.signal.aborted) {
        // Handed back (the worker is closing): another worker takes it from the queue.
        await jobs.transition(job.id, ['processing'], { status: 'queued' }).catch(() => {});
        log.warn('job handed back for another worker');
        throw error;
      }
      if (isPlaytallyError(error) && BAD_INPUT_CODES.includes(error.code)) {
        return fail(
          current,
          error.code,
          error.message,
          log,
          progressAtFailure(reached, error, job),
        );
      }
      if (isPlaytallyError(error, 'NOT_FOUND')) {
        return fail(
          current,
          'NOT_FOUND',
          `the upload of job ${job.id} is missing from storage`,
          log,
        );
      }
      log.error({ ...errorFields(error), attempt: task.attempt }, 'job run failed');
      if (task.lastAttempt) {
        const reason = `gave up after ${task.attempt} attempts: ${errorMessage(error)}`;
        await fail(current, 'INTERNAL', reason, log);
      }
      throw error;
    }
  };

  const worker = createWorker<JobRequestedData>(topics.jobs, processJob, {
    transport,
    group: GROUPS.workers,
    concurrency,
    maxAttempts: options.maxAttempts ?? 5,
    closeTimeoutMs: options.closeTimeoutMs ?? 30_000,
    parse: parseJobRequested,
    logger,
  });

  return {
    start() {
      starting ??= (async () => {
        await ensureTopics(transport, topics);
        cancellations = await transport.subscribe<unknown>(topics.events, async (event) => {
          if (event.type === EVENT_TYPES.jobCancelled && event.subject)
            worker.cancel(event.subject);
        });
        await worker.start();
        logger.info({ concurrency, transport: transport.name }, 'job worker started');
      })();
      return starting;
    },

    close() {
      closing ??= (async () => {
        await starting?.catch(() => {});
        // The jobs first: running jobs still hear cancellations meanwhile.
        await worker.close();
        await cancellations?.close();
        logger.info('job worker closed');
      })();
      return closing;
    },

    running: () => worker.running(),
  };
}

/** The job id of a `job.requested` event; anything else can never run. */
function parseJobRequested(data: unknown): JobRequestedData {
  if (typeof data === 'object' && data !== null && 'jobId' in data) {
    const { jobId } = data;
    if (typeof jobId === 'string' && jobId.length > 0) return data as JobRequestedData;
  }
  throw new PlaytallyError('INVALID_INPUT', 'a job.requested event needs a non-empty jobId');
}

/**
 * How far a run got before it failed on bad input: the bytes the engine had taken, and the rows
 * up to and including the failing one (counted as the lines after the header, when the error
 * names its line and the engine had not reported more).
 */
function progressAtFailure(
  reached: Reached,
  error: { details?: Readonly<Record<string, unknown>> | undefined },
  job: Job,
): JobProgress {
  const line = error.details?.line;
  const rowsByLine = typeof line === 'number' && line > 1 ? line - 1 : 0;
  return {
    bytesRead: reached.bytesRead,
    totalBytes: job.sizeBytes,
    rowsRead: Math.max(reached.rowsRead, rowsByLine),
  };
}
