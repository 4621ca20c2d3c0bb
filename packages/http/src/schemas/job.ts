import { z } from '@hono/zod-openapi';

/** A job's id in a path. */
export const JobIdParamsSchema = z.object({
  id: z
    .string()
    .min(1)
    .max(100)
    .openapi({
      param: { name: 'id', in: 'path' },
      example: '0b6f3c1e-3f5a-4a1e-9c2b-1d2e3f4a5b6c',
    }),
});

const StatisticsSchema = z
  .object({
    bytesRead: z.number(),
    rowsRead: z.number(),
    rowsRejected: z.number(),
    rejectedExamples: z.array(z.object({ line: z.number(), reason: z.string() })),
    groupsWritten: z.number(),
    spilledRuns: z.number(),
    durationMs: z.number(),
  })
  .openapi('JobStatistics');

/** A job as the API shows it. */
export const JobSchema = z
  .object({
    id: z.string(),
    status: z
      .enum(['queued', 'processing', 'succeeded', 'failed', 'cancelled', 'expired'])
      .openapi({
        description:
          '`expired`: succeeded, and its result was removed after the result time-to-live.',
      }),
    filename: z.string().openapi({ description: 'The uploaded file name, for display only.' }),
    sizeBytes: z.number(),
    onInvalid: z.enum(['fail', 'skip']),
    progress: z.object({ bytesRead: z.number(), totalBytes: z.number(), rowsRead: z.number() }),
    attempts: z.number().openapi({ description: 'Times a worker has started the job.' }),
    error: z.object({ code: z.string(), message: z.string() }).nullable(),
    statistics: StatisticsSchema.nullable(),
    parts: z
      .object({
        total: z.number().openapi({ description: 'Parts the upload was split into.' }),
        done: z.number().openapi({ description: 'Parts aggregated (or found bad).' }),
        running: z.number().openapi({ description: 'Parts a worker is aggregating now.' }),
      })
      .nullable()
      .openapi({
        description:
          'A job larger than the split size is cut on record boundaries into parts that several workers aggregate at once, then merged. `null`: the job runs in one piece.',
      }),
    createdAt: z.string(),
    updatedAt: z.string(),
    startedAt: z.string().nullable(),
    finishedAt: z.string().nullable(),
    links: z.object({
      self: z.string(),
      result: z.string().openapi({ description: 'The output CSV once the job has succeeded.' }),
      events: z.string().openapi({ description: 'The WebSocket of live events.' }),
    }),
  })
  .openapi('Job');

/** `?onInvalid` (and the form field of the same name) of `POST /v1/jobs`. */
export const SubmitJobQuerySchema = z.object({
  onInvalid: z
    .enum(['fail', 'skip'])
    .optional()
    .openapi({ description: '`fail` (default) stops at the first bad row; `skip` counts them.' }),
  filename: z
    .string()
    .max(500)
    .optional()
    .openapi({ description: 'Display name of a raw `text/csv` upload.' }),
});

/** The multipart body of `POST /v1/jobs`, for the documentation. */
export const UploadFormSchema = z.object({
  file: z.string().openapi({ type: 'string', format: 'binary', description: 'The CSV file.' }),
  onInvalid: z.enum(['fail', 'skip']).optional(),
});
