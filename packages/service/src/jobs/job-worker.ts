import { randomUUID } from 'node:crypto';
import { rm } from 'node:fs/promises';
import { hostname } from 'node:os';
import type { AggregateProgress } from '@playtally/core';
import { isPlaytallyError, PlaytallyError, type PlaytallyErrorCode } from '@playtally/core';
import type { Subscription, Transport } from '@playtally/transport';
import { errorFields, type Logger, silentLogger, sleepUnlessAborted } from '@playtally/transport';
import { isFinalJobStatus, type Job, type JobLease, type JobProgress } from '../domain/job.js';
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
import { createSpillFolder } from '../sweepers/spill-folder.js';
import { createWorker, type WorkerJob } from '../worker/create-worker.js';
import type { DatabaseGate } from '../worker/database-gate.js';
import type { RunCounts } from '../workers/worker-status.js';
import { aggregateBlob } from './aggregate-to-blob.js';
import { createProgressThrottle } from './progress-throttle.js';
import { recordSucceeded } from './record-success.js';
import { createSplitRuns } from './split-runs.js';

/** Options of {@link createJobWorker}. */
export interface JobWorkerOptions {
  jobs: JobStore;
  blobs: BlobStore;
  transport: Transport;
  /** Jobs this worker runs at once. @default 2 */
  concurrency?: number;
  /** Memory the engine may use, shared by the concurrent runs. @default 268435456 (256 MiB) */
  memoryBudget?: number;
  /**
   * Directory for the engine's spill files; runs spill into this process's folder in it
   * (`playtally-worker-<host>-<pid>`), which `sweepSpillFolders` removes once the process is gone.
   * @default os.tmpdir()
   */
  tempDir?: string;
  /** Deliveries of one job before it is failed and dead-lettered. @default 5 */
  maxAttempts?: number;
  /** How long `close()` lets running jobs finish before handing them back. @default 30000 */
  closeTimeoutMs?: number;
  /** Publish progress when this long has passed since the last report. @default 1000 */
  progressIntervalMs?: number;
  /**
   * How long a job's lease lasts; it is renewed every third of that while the job runs. A
   * worker that dies loses its leases this long after. @default 30000
   */
  leaseTtlMs?: number;
  /** Holds store calls while the database is away (the worker pauses). @default none */
  gate?: DatabaseGate;
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
  /** Runs this worker finished since it was created, and how many of them failed. */
  stats(): RunCounts;
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
 * Creates a worker that consumes `job.requested` in the `workers` group: it takes the job's
 * lease, marks it processing, streams its upload through the engine into an atomically stored
 * result, marks it succeeded with the statistics, publishes `job.completed`, and only then
 * acknowledges. It is the song-aggregation processor on the generic {@link createWorker}.
 *
 * Runs once at a time: a job runs under a lease renewed while it runs, and every write of the
 * run is fenced by the lease's token. A delivery of a job whose lease another worker holds (a
 * redelivery after a broker reconnect, say) waits until that run finishes, and is then
 * acknowledged, or until the lease expires (that worker died), and then runs it. A run whose
 * lease was taken over cannot record its result. Idempotent by job id: a delivery of a finished
 * or cancelled job is acknowledged and ignored. Bad input fails the job with the engine's
 * message (not retried); any other error is thrown so the transport redelivers, and on the
 * last attempt the job is failed too.
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
  const leaseTtlMs = Math.max(300, options.leaseTtlMs ?? 30_000);
  const owner = `${hostname()}:${process.pid}:${randomUUID().slice(0, 8)}`;
  let spillFolder: string | undefined;
  let cancellations: Subscription | undefined;
  let starting: Promise<void> | undefined;
  let closing: Promise<void> | undefined;
  const counts = { processed: 0, failed: 0 };
  /** Jobs whose run recorded a failure (they then finish without throwing). */
  const failedRuns = new Set<string>();

  const stored = <T>(operation: () => Promise<T>, signal?: AbortSignal): Promise<T> =>
    options.gate === undefined ? operation() : options.gate.run(operation, signal);

  const publish = async (type: JobEventType, job: Job, log: Logger): Promise<void> => {
    try {
      await transport.publish(topics.events, createJobEvent(type, job, WORKER_SOURCE));
    } catch (error) {
      log.warn({ ...errorFields(error), type }, 'could not publish job event');
    }
  };

  const fail = async (
    job: Job,
    lease: JobLease,
    code: string,
    message: string,
    log: Logger,
    progress?: JobProgress,
  ) => {
    const failed = await stored(() =>
      jobs.transition(
        job.id,
        ['queued', 'processing'],
        {
          status: 'failed',
          error: { code, message },
          ...(progress ? { progress } : {}),
          finishedAt: new Date().toISOString(),
        },
        { lease },
      ),
    );
    if (!failed) return;
    failedRuns.add(job.id);
    log.warn({ code, reason: message }, 'job failed');
    await publish(EVENT_TYPES.jobFailed, failed, log);
    await blobs.delete(job.inputKey).catch(() => {});
  };

  /** The lease, once any other live run is over; `undefined` when the job finished meanwhile. */
  const takeLease = async (task: WorkerJob<JobRequestedData>, log: Logger) => {
    const id = task.data.jobId;
    let waiting = false;
    for (;;) {
      const lease = await stored(() => jobs.acquireLease(id, owner, leaseTtlMs), task.signal);
      if (lease !== undefined) return lease;
      const current = await stored(() => jobs.get(id), task.signal);
      if (current === undefined || isFinalJobStatus(current.status)) return undefined;
      if (!waiting) {
        waiting = true;
        log.info('job runs elsewhere under a live lease: waiting for that run');
      }
      const slept = await sleepUnlessAborted(Math.min(2000, leaseTtlMs / 3), task.signal);
      if (!slept) throw new PlaytallyError('ABORTED', `stopped waiting for job ${id}'s lease`);
    }
  };

  /** Renews the lease every third of its time; a lost lease stops the run. */
  const keepLease = (initial: JobLease, log: Logger): { current(): JobLease; stop(): void } => {
    let lease = initial;
    const timer = setInterval(() => {
      jobs.renewLease(lease, leaseTtlMs).then(
        (renewed) => {
          if (renewed !== undefined) lease = renewed;
          else if (worker.cancel(lease.jobId, 'lease lost'))
            log.warn('job lease lost: run stopped');
        },
        (error: unknown) => log.warn(errorFields(error), 'could not renew the job lease'),
      );
    }, leaseTtlMs / 3);
    timer.unref();
    return { current: () => lease, stop: () => clearInterval(timer) };
  };

  const runJob = async (
    job: Job,
    lease: () => JobLease,
    task: WorkerJob<JobRequestedData>,
    log: Logger,
    reached: Reached,
  ) => {
    const started = await stored(
      () =>
        jobs.transition(
          job.id,
          ['queued', 'processing'],
          {
            status: 'processing',
            attempts: job.attempts + 1,
            startedAt: new Date().toISOString(),
            progress: { bytesRead: 0, totalBytes: job.sizeBytes, rowsRead: 0 },
            error: null,
          },
          { lease: lease() },
        ),
      task.signal,
    );
    if (!started) return; // cancelled between the read and now
    log.info({ attempt: task.attempt, sizeBytes: job.sizeBytes }, 'job started');
    await publish(EVENT_TYPES.jobStarted, started, log);

    const due = createProgressThrottle({ totalBytes: job.sizeBytes, intervalMs });
    let reporting: Promise<void> | undefined;
    const report = async (progress: JobProgress): Promise<void> => {
      const updated = await jobs.transition(
        job.id,
        ['processing'],
        { progress },
        { lease: lease() },
      );
      // Not processing any more under this lease: cancelled (the event may have been missed),
      // finished or taken over elsewhere. Either way this run's output is not wanted.
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
      ...(spillFolder === undefined ? {} : { tempDir: spillFolder }),
      signal: task.signal,
      onProgress,
      onRead: (bytesRead) => {
        reached.bytesRead = bytesRead;
      },
      // The engine reports often enough for the throttle to pick every 5 % or every interval.
      progressIntervalMs: Math.min(250, intervalMs),
    });
    await reporting;
    const succeeded = await recordSucceeded(jobs, stored, job, { resultKey, statistics }, lease);
    if (!succeeded) {
      // Cancelled, or taken over by another run, while the result was being written.
      await blobs.delete(resultKey);
      log.info('job stopped or fenced off before its result was recorded; result discarded');
      return;
    }
    log.info({ rowsRead: statistics.rowsRead, durationMs: statistics.durationMs }, 'job succeeded');
    await publish(EVENT_TYPES.jobCompleted, succeeded, log);
    await blobs.delete(job.inputKey).catch(() => {});
  };

  const split = createSplitRuns({
    jobs,
    blobs,
    transport,
    topics,
    badInputCodes: BAD_INPUT_CODES,
    runBudget,
    progressIntervalMs: intervalMs,
    tempDir: () => spillFolder,
    stored,
    publish,
    fail: (job, lease, code, message, log) => fail(job, lease, code, message, log),
    takeLease,
    keepLease: (lease, log) => keepLease(lease, log),
    cancelTask: (id, reason) => worker.cancel(id, reason),
  });

  /** Stops every run of the job in this worker: the whole job, or any of its parts. */
  const cancelJob = (jobId: string, reason?: string): void => {
    worker.cancel(jobId, reason);
    const parts = `${jobId}/parts/`;
    for (const id of worker.running()) if (id.startsWith(parts)) worker.cancel(id, reason);
  };

  const processJob = async (task: WorkerJob<JobRequestedData>): Promise<void> => {
    const log = logger.child({ jobId: task.data.jobId });
    const job = await stored(() => jobs.get(task.data.jobId), task.signal);
    if (!job) return log.warn('job.requested for an unknown job; ignored');
    if (isFinalJobStatus(job.status)) {
      return log.debug({ status: job.status }, 'job already finished; delivery ignored');
    }
    if (job.parts !== null) {
      const { part } = task.data;
      return part === undefined
        ? split.settle(job, task, log)
        : split.runPart(job, part, task, log);
    }
    const lease = await takeLease(task, log);
    if (lease === undefined) return log.info('job finished by another run; delivery ignored');
    const held = keepLease(lease, log);
    const reached: Reached = { bytesRead: 0, rowsRead: 0 };
    try {
      const fresh = (await stored(() => jobs.get(job.id), task.signal)) ?? job;
      await runJob(fresh, held.current, task, log, reached);
    } catch (error) {
      const current = await stored(() => jobs.get(job.id)).catch(() => undefined);
      if (current === undefined) throw error;
      if (isFinalJobStatus(current.status)) return;
      if (task.signal.aborted) {
        // Handed back (the worker is closing): another worker takes it from the queue.
        await jobs
          .transition(job.id, ['processing'], { status: 'queued' }, { lease: held.current() })
          .catch(() => {});
        log.warn('job handed back for another worker');
        throw error;
      }
      if (isPlaytallyError(error) && BAD_INPUT_CODES.includes(error.code)) {
        const progress = progressAtFailure(reached, error, job);
        return fail(current, held.current(), error.code, error.message, log, progress);
      }
      if (isPlaytallyError(error, 'NOT_FOUND')) {
        const reason = `the upload of job ${job.id} is missing from storage`;
        return fail(current, held.current(), 'NOT_FOUND', reason, log);
      }
      log.error({ ...errorFields(error), attempt: task.attempt }, 'job run failed');
      if (task.lastAttempt) {
        const code = isPlaytallyError(error) ? error.code : 'INTERNAL';
        const reason = `gave up after ${task.attempt} attempts: ${errorMessage(error)}`;
        await fail(current, held.current(), code, reason, log);
      } else {
        // The next delivery, wherever it lands, may start at once.
        await jobs.releaseLease(held.current()).catch(() => {});
      }
      throw error;
    } finally {
      held.stop();
    }
  };

  const countedJob = async (task: WorkerJob<JobRequestedData>): Promise<void> => {
    let threw = false;
    try {
      await processJob(task);
    } catch (error) {
      threw = true;
      throw error;
    } finally {
      counts.processed += 1;
      if (failedRuns.delete(task.data.jobId) || threw) counts.failed += 1;
    }
  };

  const worker = createWorker<JobRequestedData>(topics.jobs, countedJob, {
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
        spillFolder = await createSpillFolder(options.tempDir);
        await ensureTopics(transport, topics);
        cancellations = await transport.subscribe<unknown>(topics.events, async (event) => {
          const ended =
            event.type === EVENT_TYPES.jobCancelled || event.type === EVENT_TYPES.jobFailed;
          if (ended && event.subject) cancelJob(event.subject);
        });
        await worker.start();
        logger.info({ concurrency, transport: transport.name, owner }, 'job worker started');
      })();
      return starting;
    },

    close() {
      closing ??= (async () => {
        await starting?.catch(() => {});
        // The jobs first: running jobs still hear cancellations meanwhile.
        await worker.close();
        await cancellations?.close();
        if (spillFolder !== undefined) {
          await rm(spillFolder, { recursive: true, force: true }).catch(() => {});
        }
        logger.info('job worker closed');
      })();
      return closing;
    },

    running: () => worker.running(),

    stats: () => ({ ...counts }),
  };
}

/** The job id of a `job.requested` event; anything else can never run. */
function parseJobRequested(data: unknown): JobRequestedData {
  if (typeof data === 'object' && data !== null && 'jobId' in data) {
    const { jobId } = data;
    const part = 'part' in data ? data.part : undefined;
    const partValid = part === undefined || (Number.isSafeInteger(part) && (part as number) >= 0);
    if (typeof jobId === 'string' && jobId.length > 0 && partValid) return data as JobRequestedData;
  }
  throw new PlaytallyError(
    'INVALID_INPUT',
    'a job.requested event needs a non-empty jobId (and a part, if any, that is a whole number)',
  );
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
