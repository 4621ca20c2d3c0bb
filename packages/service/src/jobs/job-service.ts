import type { Readable } from 'node:stream';
import type { ByteSource, InvalidRowPolicy } from '@playtally/core';
import { isPlaytallyError, PlaytallyError } from '@playtally/core';
import { type Logger, silentLogger } from '@playtally/transport';
import { v7 as uuidv7 } from 'uuid';
import { isFinalJobStatus, type Job } from '../domain/job.js';
import type { OutgoingEvent } from '../domain/outbox.js';
import type { Page, PageRequest } from '../domain/page.js';
import { EVENT_TYPES } from '../events/events.js';
import { apiJobEvent, jobPartRequestedEvent, jobRequestedEvent } from '../events/outgoing.js';
import { TOPICS, type TopicNames } from '../events/topics.js';
import type { OutboxRelay } from '../outbox/outbox-relay.js';
import type { BlobStore } from '../ports/blob-store.js';
import type { JobStore } from '../ports/job-store.js';
import { cleanFileName } from './file-name.js';
import { hashedChunks, requestHash } from './idempotent-upload.js';
import { deletePartials } from './partials.js';
import { DEFAULT_SPLIT_BYTES, planParts, recordingSource } from './split-plan.js';

/** Options of {@link createJobService}. */
export interface JobServiceOptions {
  jobs: JobStore;
  blobs: BlobStore;
  /**
   * The relay publishing the outbox of `jobs`: told of each commit, and asked whether the
   * backlog leaves room. Without one, events wait for a relay elsewhere to poll them.
   */
  relay?: Pick<OutboxRelay, 'claimAhead' | 'publish' | 'notify' | 'assertAccepting'>;
  /** Uploads past this many bytes are refused with `PAYLOAD_TOO_LARGE`. @default 1073741824 (1 GiB) */
  maxUploadBytes?: number;
  /**
   * Uploads larger than this are split into parts of about this many bytes, cut on exact record
   * boundaries recorded while the upload streams in; each part is a task any worker may take,
   * and one merge task merges their partial results. Smaller uploads run in one piece.
   * @default 134217728 (128 MiB)
   */
  splitBytes?: number;
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
  /**
   * The size the client announced for the source (a raw body's Content-Length): checked
   * against the limit before a byte is read, and the source must have exactly that many bytes.
   */
  declaredBytes?: number | undefined;
  /** Aborts the upload (the client went away); nothing is kept. */
  signal?: AbortSignal | undefined;
  /**
   * The client's `Idempotency-Key`: the same key with the same file, name and policy returns the
   * job it first created; with anything else it rejects with `IDEMPOTENCY_KEY_REUSED`.
   */
  idempotencyKey?: string | undefined;
}

/** A finished job's output, ready to stream. */
export interface JobResult {
  readonly job: Job;
  readonly size: number;
  readonly stream: Readable;
}

/** What {@link JobService.remove} did. */
export type RemovedJob =
  | { readonly outcome: 'cancelled'; readonly job: Job }
  | { readonly outcome: 'deleted' };

/**
 * The API side of jobs: accept uploads, list and read jobs, cancel or delete them, serve
 * results. The processing happens elsewhere, in {@link createJobWorker}, reached only through
 * the outbox and the transport.
 */
export interface JobService {
  /**
   * Streams the upload into the blob store (never into memory), then records a `queued` job
   * and its `job.requested` event in one transaction (the relay publishes it). Rejects with
   * `PAYLOAD_TOO_LARGE` past the limit and with `VALIDATION_FAILED` for an empty upload, keeping
   * nothing, and with `BACKLOG_FULL` before reading a byte when the outbox is at its limit.
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
  /** Cancels a queued or processing job; deletes a finished one with its result and upload. */
  remove(id: string): Promise<RemovedJob>;
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
 * import { createJobService, createMemoryJobStore, createFsBlobStore } from '@playtally/service';
 * const service = createJobService({ jobs: createMemoryJobStore(), blobs: createFsBlobStore({ directory: './data/blobs' }) });
 * const job = await service.submit({ source: [new TextEncoder().encode('Song,Date,Number of Plays\n')], filename: 'plays.csv' });
 * ```
 */
export function createJobService(options: JobServiceOptions): JobService {
  const { jobs, blobs, relay } = options;
  const maxUploadBytes = options.maxUploadBytes ?? 1024 ** 3;
  const splitBytes = options.splitBytes ?? DEFAULT_SPLIT_BYTES;
  if (!Number.isSafeInteger(splitBytes) || splitBytes < 1) {
    throw new PlaytallyError('VALIDATION_FAILED', 'option splitBytes must be a positive integer', {
      details: { option: 'splitBytes' },
    });
  }
  const topics = options.topics ?? TOPICS;
  const logger = options.logger ?? silentLogger;

  const claimAhead = (events: OutgoingEvent[]) => relay?.claimAhead(events) ?? events;

  const get = async (id: string): Promise<Job> => {
    const job = await jobs.get(id);
    if (!job) throw new PlaytallyError('NOT_FOUND', `job ${id} not found`, { details: { id } });
    return job;
  };

  const replay = async (key: string, fingerprint: string): Promise<Job | undefined> => {
    const found = await jobs.findIdempotencyKey(key);
    if (found === undefined) return undefined;
    if (found.fingerprint !== fingerprint) throw keyReused(key);
    return get(found.resourceId);
  };

  const cancel = async (id: string): Promise<Job> => {
    const job = await get(id);
    if (job.status === 'cancelled') return job;
    if (job.status !== 'queued' && job.status !== 'processing') {
      throw new PlaytallyError('CONFLICT', `job ${id} has already ${job.status}`, {
        details: { id, status: job.status },
      });
    }
    const finishedAt = new Date().toISOString();
    const expected: Job = { ...job, status: 'cancelled', finishedAt, updatedAt: finishedAt };
    // Workers abort the run when they see this; a queued job is skipped when delivered.
    const outbox = claimAhead([apiJobEvent(EVENT_TYPES.jobCancelled, expected, topics)]);
    const cancelled = await jobs.transition(
      id,
      ['queued', 'processing'],
      { status: 'cancelled', finishedAt },
      { outbox },
    );
    if (!cancelled) return cancel(id); // it moved on meanwhile: answer for where it is now
    relay?.publish(outbox);
    logger.info({ jobId: id }, 'job cancelled');
    await blobs.delete(cancelled.inputKey).catch(() => {});
    if (cancelled.parts !== null) await deletePartials(jobs, blobs, id);
    return cancelled;
  };

  return {
    async submit(input) {
      relay?.assertAccepting();
      if (input.declaredBytes !== undefined && input.declaredBytes > maxUploadBytes) {
        throw tooLarge(maxUploadBytes);
      }
      const key = input.idempotencyKey;
      const hash = key === undefined ? undefined : requestHash(input.filename);
      const recording = recordingSource(
        hash === undefined ? input.source : hashedChunks(input.source, hash),
        splitBytes,
      );
      const blob = await blobs
        .put(recording.chunks, {
          maxBytes: maxUploadBytes,
          prefix: 'uploads',
          ...(input.signal ? { signal: input.signal } : {}),
          ...(input.declaredBytes === undefined ? {} : { expectedBytes: input.declaredBytes }),
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
          (typeof input.onInvalid === 'function' ? await input.onInvalid() : input.onInvalid) ??
          'fail';
        const fingerprint = hash?.update(`policy:${onInvalid}`).digest('hex');
        const parts = await planParts(blobs, blob.key, recording.boundaries(), splitBytes);
        const newJob = {
          id,
          filename: cleanFileName(input.filename),
          inputKey: blob.key,
          sizeBytes: blob.size,
          onInvalid,
          ...(parts.length === 0 ? {} : { parts }),
        };
        const at = new Date().toISOString();
        const queued: Job = {
          ...newJob,
          status: 'queued',
          resultKey: null,
          progress: { bytesRead: 0, totalBytes: blob.size, rowsRead: 0 },
          attempts: 0,
          error: null,
          statistics: null,
          parts: parts.length === 0 ? null : { total: parts.length, done: 0, running: 0 },
          createdAt: at,
          updatedAt: at,
          startedAt: null,
          finishedAt: null,
        };
        try {
          job = await jobs.create(newJob, {
            outbox: [
              ...(parts.length === 0
                ? [jobRequestedEvent(queued, topics)]
                : parts.map((_, index) => jobPartRequestedEvent(queued, index, topics))),
              apiJobEvent(EVENT_TYPES.jobQueued, queued, topics),
            ],
            ...(key === undefined || fingerprint === undefined
              ? {}
              : { idempotency: { key, fingerprint } }),
          });
        } catch (error) {
          if (
            !isPlaytallyError(error, 'CONFLICT') ||
            key === undefined ||
            fingerprint === undefined
          )
            throw error;
          const original = await replay(key, fingerprint);
          if (original === undefined) throw error;
          await blobs.delete(blob.key).catch(() => {});
          log.info({ originalJobId: original.id }, 'idempotent retry: original job returned');
          return original;
        }
      } catch (error) {
        await blobs.delete(blob.key).catch(() => {});
        throw error;
      }
      // Woken, the relay claims the job's events from the store now rather than at its next
      // poll. Not claimed ahead: should this process die before publishing them, another
      // relay takes them at its next poll, not after a claim's lease.
      relay?.notify();
      log.info({ sizeBytes: blob.size, filename: job.filename }, 'job queued');
      return job;
    },

    get,

    list: (request) => jobs.list(request),

    cancel,

    async remove(id) {
      const job = await get(id);
      if (job.status === 'queued' || job.status === 'processing') {
        return { outcome: 'cancelled', job: await cancel(id) };
      }
      if (job.resultKey) await blobs.delete(job.resultKey);
      await blobs.delete(job.inputKey);
      if (job.parts !== null) await deletePartials(jobs, blobs, id);
      await jobs.delete(id);
      logger.info({ jobId: id, status: job.status }, 'job deleted');
      return { outcome: 'deleted' };
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

/** The IETF idempotency-key draft's answer to a key reused for another request. */
export function keyReused(key: string): PlaytallyError {
  return new PlaytallyError(
    'IDEMPOTENCY_KEY_REUSED',
    'this Idempotency-Key was already used with a different request',
    { details: { idempotencyKey: key } },
  );
}

/** `succeeded`, `failed`, `was cancelled`: a final status as the verb of a sentence. */
function finishedAs(status: Job['status']): string {
  return status === 'cancelled' ? 'was cancelled' : status;
}
