import type { Readable } from 'node:stream';
import type { ByteSource, InvalidRowPolicy } from '@playtally/core';
import { isPlaytallyError, PlaytallyError } from '@playtally/core';
import type { Transport } from '@playtally/transport';
import { createCloudEvent, errorFields, type Logger, silentLogger } from '@playtally/transport';
import { v7 as uuidv7 } from 'uuid';
import { isFinalJobStatus, type Job } from '../domain/job.js';
import type { Page, PageRequest } from '../domain/page.js';
import { createJobEvent, EVENT_TYPES, type JobRequestedData } from '../events/events.js';
import { API_SOURCE, TOPICS, type TopicNames } from '../events/topics.js';
import type { BlobStore } from '../ports/blob-store.js';
import type { JobStore } from '../ports/job-store.js';
import { cleanFileName } from './file-name.js';

/** Options of {@link createJobService}. */
export interface JobServiceOptions {
  jobs: JobStore;
  blobs: BlobStore;
  transport: Transport;
  /** Uploads past this many bytes are refused with `PAYLOAD_TOO_LARGE`. @default 1073741824 (1 GiB) */
  maxUploadBytes?: number;
  /** @default TOPICS */
  topics?: TopicNames;
  /** @default silentLogger */
  logger?: Logger;
}

/** What submitting a job needs. */
export interface SubmitJobInput {
  /** The CSV bytes, streamed into the blob store as they arrive. */
  source: ByteSource;
  /** The client's file name, for display only. @default 'upload.csv' */
  filename?: string | undefined;
  /**
   * The policy for bad rows, or a function asked once the upload is stored (in a multipart
   * form the field may follow the file). @default 'fail'
   */
  onInvalid?: InvalidRowPolicy | (() => Promise<InvalidRowPolicy | undefined>) | undefined;
  /** A size the client announced (Content-Length): checked before a byte is read. */
  declaredBytes?: number | undefined;
  /** Aborts the upload (the client went away); nothing is kept. */
  signal?: AbortSignal | undefined;
}

/** A finished job's output, ready to stream. */
export interface JobResult {
  readonly job: Job;
  readonly size: number;
  readonly stream: Readable;
}

/**
 * The API side of jobs: accept uploads, list and read jobs, cancel them, serve results. The
 * processing happens elsewhere, in {@link createJobWorker}, reached only through the transport.
 */
export interface JobService {
  /**
   * Streams the upload into the blob store (never into memory), records a `queued` job and
   * publishes `job.requested` with a reference to the blob. Rejects with `PAYLOAD_TOO_LARGE`
   * past the limit and with `VALIDATION_FAILED` for an empty upload, keeping nothing.
   */
  submit(input: SubmitJobInput): Promise<Job>;
  /** The job; rejects with `NOT_FOUND`. */
  get(id: string): Promise<Job>;
  /** Jobs newest first. */
  list(request?: PageRequest): Promise<Page<Job>>;
  /**
   * Cancels a queued or processing job and tells workers to stop its run. Cancelling a
   * cancelled job returns it unchanged; a succeeded or failed job rejects with `CONFLICT`.
   */
  cancel(id: string): Promise<Job>;
  /**
   * The output of a succeeded job. Rejects with `NOT_FOUND` for an unknown job and with
   * `CONFLICT` (details: `{ status }`) while the job has no result.
   */
  openResult(id: string): Promise<JobResult>;
}

/**
 * Creates the {@link JobService} an API instance uses.
 *
 * @example
 * ```ts
 * import { createJobService, createMemoryJobStore, createFsBlobStore, createMemoryTransport } from '@playtally/core';
 * const service = createJobService({ jobs: createMemoryJobStore(), blobs: createFsBlobStore({ directory: './data/blobs' }), transport: createMemoryTransport() });
 * const job = await service.submit({ source: [new TextEncoder().encode('Song,Date,Number of Plays\n')], filename: 'plays.csv' });
 * ```
 */
export function createJobService(options: JobServiceOptions): JobService {
  const { jobs, blobs, transport } = options;
  const maxUploadBytes = options.maxUploadBytes ?? 1024 ** 3;
  const topics = options.topics ?? TOPICS;
  const logger = options.logger ?? silentLogger;

  const get = async (id: string): Promise<Job> => {
    const job = await jobs.get(id);
    if (!job) throw new PlaytallyError('NOT_FOUND', `job ${id} not found`, { details: { id } });
    return job;
  };

  const publishEvent = async (event: Parameters<Transport['publish']>[1]): Promise<void> => {
    try {
      await transport.publish(topics.events, event);
    } catch (error) {
      // Live events are a courtesy to watchers; the job's state in the store is the truth.
      logger.warn({ ...errorFields(error), type: event.type }, 'could not publish event');
    }
  };

  return {
    async submit(input) {
      if (input.declaredBytes !== undefined && input.declaredBytes > maxUploadBytes) {
        throw tooLarge(maxUploadBytes);
      }
      const blob = await blobs
        .put(input.source, {
          maxBytes: maxUploadBytes,
          prefix: 'uploads',
          ...(input.signal ? { signal: input.signal } : {}),
        })
        .catch((error: unknown) => {
          throw isPlaytallyError(error, 'PAYLOAD_TOO_LARGE') ? tooLarge(maxUploadBytes) : error;
        });
      if (blob.size === 0) {
        await blobs.delete(blob.key).catch(() => {});
        throw new PlaytallyError(
          'VALIDATION_FAILED',
          'the upload is empty: send a CSV file with a header row (Song,Date,Number of Plays)',
          { details: { sizeBytes: 0 } },
        );
      }
      const id = uuidv7();
      const log = logger.child({ jobId: id });
      let job: Job;
      try {
        const onInvalid =
          typeof input.onInvalid === 'function' ? await input.onInvalid() : input.onInvalid;
        job = await jobs.create({
          id,
          filename: cleanFileName(input.filename),
          inputKey: blob.key,
          sizeBytes: blob.size,
          onInvalid: onInvalid ?? 'fail',
        });
      } catch (error) {
        await blobs.delete(blob.key).catch(() => {});
        throw error;
      }
      const requested: JobRequestedData = { jobId: id, inputKey: blob.key };
      try {
        await transport.publish(
          topics.jobs,
          createCloudEvent({
            type: EVENT_TYPES.jobRequested,
            source: API_SOURCE,
            subject: id,
            data: requested,
          }),
          { key: id },
        );
      } catch (error) {
        // Nobody will ever process it: say so instead of leaving it queued forever.
        log.error(errorFields(error), 'could not queue job');
        const message = error instanceof Error ? error.message : String(error);
        await jobs
          .transition(id, ['queued'], {
            status: 'failed',
            error: { code: 'TRANSPORT_ERROR', message: `could not queue the job: ${message}` },
            finishedAt: new Date().toISOString(),
          })
          .catch(() => {});
        await blobs.delete(blob.key).catch(() => {});
        throw new PlaytallyError('TRANSPORT_ERROR', `could not queue job ${id}: ${message}`, {
          cause: error,
          details: { jobId: id },
        });
      }
      log.info({ sizeBytes: blob.size, filename: job.filename }, 'job queued');
      await publishEvent(createJobEvent(EVENT_TYPES.jobQueued, job, API_SOURCE));
      return job;
    },

    get,

    list: (request) => jobs.list(request),

    async cancel(id) {
      const cancelled = await jobs.transition(id, ['queued', 'processing'], {
        status: 'cancelled',
        finishedAt: new Date().toISOString(),
      });
      if (!cancelled) {
        const job = await get(id);
        if (job.status === 'cancelled') return job;
        throw new PlaytallyError('CONFLICT', `job ${id} has already ${job.status}`, {
          details: { id, status: job.status },
        });
      }
      logger.info({ jobId: id }, 'job cancelled');
      // Workers abort the run when they see this; a queued job is skipped when delivered.
      await publishEvent(createJobEvent(EVENT_TYPES.jobCancelled, cancelled, API_SOURCE));
      await blobs.delete(cancelled.inputKey).catch(() => {});
      return cancelled;
    },

    async openResult(id) {
      const job = await get(id);
      if (job.status !== 'succeeded' || !job.resultKey) {
        const reason = isFinalJobStatus(job.status)
          ? `job ${id} ${finishedAs(job.status)} and has no result`
          : `job ${id} is ${job.status}; its result is not ready yet`;
        throw new PlaytallyError('CONFLICT', reason, { details: { id, status: job.status } });
      }
      const info = await blobs.stat(job.resultKey);
      if (!info) {
        throw new PlaytallyError('INTERNAL', `the result of job ${id} is missing from storage`, {
          details: { id },
        });
      }
      return { job, size: info.size, stream: await blobs.read(job.resultKey) };
    },
  };
}

function tooLarge(maxBytes: number): PlaytallyError {
  return new PlaytallyError('PAYLOAD_TOO_LARGE', `the upload is larger than ${maxBytes} bytes`, {
    details: { maxBytes },
  });
}

/** `succeeded`, `failed`, `was cancelled`: a final status as the verb of a sentence. */
function finishedAs(status: Job['status']): string {
  return status === 'cancelled' ? 'was cancelled' : status;
}
