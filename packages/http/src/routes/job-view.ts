import type { z } from '@hono/zod-openapi';
import { type Job, toJobSnapshot } from '@playtally/service';
import type { JobSchema } from '../schemas/job.js';

/** A job as the API answers it. */
export type JobView = z.infer<typeof JobSchema>;

/** The API's view of a job: no blob keys, plus links to itself, its result and the events. */
export function toJobView(job: Job): JobView {
  const snapshot = toJobSnapshot(job);
  const self = `/v1/jobs/${encodeURIComponent(job.id)}`;
  return {
    ...snapshot,
    progress: { ...snapshot.progress },
    parts: snapshot.parts ? { ...snapshot.parts } : null,
    error: snapshot.error ? { ...snapshot.error } : null,
    statistics: snapshot.statistics
      ? {
          ...snapshot.statistics,
          rejectedExamples: snapshot.statistics.rejectedExamples.map((row) => ({ ...row })),
        }
      : null,
    links: { self, result: `${self}/result`, events: '/v1/events' },
  };
}
