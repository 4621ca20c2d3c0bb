import { z } from '@hono/zod-openapi';
import { PageQuerySchema } from './page.js';

const RunCountsSchema = z.object({
  processed: z.number().int().openapi({ description: 'Runs finished, whatever their outcome.' }),
  failed: z.number().int().openapi({ description: 'Runs that ended in failure.' }),
});

/** A worker process as the registry shows it. */
export const WorkerSchema = z
  .object({
    id: z.string().openapi({ example: 'worker-7f9c:4242:1a2b3c4d' }),
    host: z.string(),
    pid: z.number().int(),
    version: z.string(),
    transport: z.string().openapi({ example: 'amqp' }),
    concurrency: z.number().int(),
    activeJobs: z.array(z.string()).openapi({ description: 'Ids of the jobs it runs now.' }),
    jobs: RunCountsSchema,
    messages: RunCountsSchema,
    heartbeatMs: z.number().openapi({ description: 'Its heartbeat interval.' }),
    startedAt: z.string(),
    sentAt: z.string().openapi({ description: 'When its last announcement was sent.' }),
    status: z.enum(['alive', 'lost']).openapi({
      description: '`lost` once three heartbeats are missing: killed, hung or cut off.',
    }),
    lastSeenAt: z.string(),
    jobsAtRisk: z.array(z.string()).openapi({
      description:
        'For a lost worker, the jobs it was running: they run again once the broker hands them to another worker.',
    }),
  })
  .openapi('Worker');

export const WorkerListSchema = z.object({ items: z.array(WorkerSchema) }).openapi('WorkerList');

/** One topic and group's figures. */
export const QueueSchema = z
  .object({
    topic: z.string().openapi({ example: 'playtally.jobs' }),
    group: z.string().openapi({ example: 'workers' }),
    ready: z.number().int().openapi({ description: 'Waiting for a consumer (the backlog).' }),
    inFlight: z
      .number()
      .int()
      .openapi({ description: 'Held by a consumer and not acknowledged yet.' }),
    consumers: z.number().int(),
    deadLetters: z.number().int().openapi({
      description:
        'Dead letters of the topic and group: recorded ones waiting for an operator plus those the broker still holds.',
    }),
  })
  .openapi('Queue');

export const QueueListSchema = z.object({ items: z.array(QueueSchema) }).openapi('QueueList');

/** A dead letter's id in a path. */
export const DeadLetterIdParamsSchema = z.object({
  id: z
    .string()
    .min(1)
    .max(100)
    .openapi({
      param: { name: 'id', in: 'path' },
      example: '5f0c4c2e-8a1b-5d3e-9f4a-2b6c7d8e9f01',
    }),
});

/** `?topic&limit&cursor` of `GET /v1/dead-letters`. */
export const DeadLetterQuerySchema = z.strictObject(
  {
    ...PageQuerySchema.shape,
    topic: z
      .string()
      .min(1)
      .max(300)
      .optional()
      .openapi({ description: 'Only dead letters of this topic.', example: 'playtally.messages' }),
  },
  {
    error: (issue) =>
      issue.code === 'unrecognized_keys'
        ? `this list takes only limit, cursor and topic, not ${issue.keys.map((key) => `"${key}"`).join(', ')}`
        : undefined,
  },
);

export const DeadLetterSchema = z
  .object({
    id: z.string(),
    topic: z.string().openapi({ description: 'The topic the event was published to.' }),
    group: z.string().nullable().openapi({ description: 'The consumer group that gave up.' }),
    reason: z.string().openapi({ example: 'amount must not be negative' }),
    attempts: z.number().int(),
    eventId: z.string(),
    eventType: z.string(),
    event: z.record(z.string(), z.unknown()).openapi({
      description:
        'The original CloudEvent in JSON structured mode (`data`, or `data_base64` for a body that is not JSON or text).',
    }),
    status: z.enum(['pending', 'replayed']),
    deadLetteredAt: z.string(),
    replayedAt: z.string().nullable(),
  })
  .openapi('DeadLetter');
