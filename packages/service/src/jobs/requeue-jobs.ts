import type { Transport } from '@playtally/transport';
import { createCloudEvent, type Logger, silentLogger } from '@playtally/transport';
import { EVENT_TYPES, type JobRequestedData } from '../events/events.js';
import { API_SOURCE, TOPICS, type TopicNames } from '../events/topics.js';
import type { JobStore } from '../ports/job-store.js';

/** Options of {@link requeueUnfinishedJobs}. */
export interface RequeueJobsOptions {
  jobs: JobStore;
  transport: Transport;
  /** @default TOPICS */
  topics?: TopicNames;
  /** @default silentLogger */
  logger?: Logger;
}

/**
 * Publishes `job.requested` again for every queued or processing job, and returns how many.
 *
 * For a transport that keeps nothing across restarts (the in-process `memory://`), jobs left
 * unfinished by a stopped process would otherwise wait forever in a persistent job store. Call
 * it at start-up of a process that is the only worker; with a broker the requests are still on
 * the broker and this is not needed. Redelivery is idempotent, so a duplicate is harmless.
 */
export async function requeueUnfinishedJobs(options: RequeueJobsOptions): Promise<number> {
  const topics = options.topics ?? TOPICS;
  const logger = options.logger ?? silentLogger;
  let cursor: string | null = null;
  let count = 0;
  do {
    const page = await options.jobs.list({ limit: 500, cursor });
    for (const job of page.items) {
      if (job.status !== 'queued' && job.status !== 'processing') continue;
      const data: JobRequestedData = { jobId: job.id, inputKey: job.inputKey };
      await options.transport.publish(
        topics.jobs,
        createCloudEvent({
          type: EVENT_TYPES.jobRequested,
          source: API_SOURCE,
          subject: job.id,
          data,
        }),
        { key: job.id },
      );
      logger.info({ jobId: job.id, status: job.status }, 'unfinished job requeued');
      count += 1;
    }
    cursor = page.nextCursor;
  } while (cursor);
  return count;
}
