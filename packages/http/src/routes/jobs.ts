import { Readable } from 'node:stream';
import { createRoute, z } from '@hono/zod-openapi';
import { type InvalidRowPolicy, PlaytallyError, songRows } from '@playtally/service';
import type { Context } from 'hono';
import { errorResponse } from '../schemas/error.js';
import {
  JobIdParamsSchema,
  JobSchema,
  SubmitJobQuerySchema,
  UploadFormSchema,
} from '../schemas/job.js';
import { PageQuerySchema, pageSchema } from '../schemas/page.js';
import { V1_READ_SECURITY, V1_SECURITY } from '../schemas/security.js';
import { attachmentDisposition, resultFileName } from '../upload/content-disposition.js';
import { receiveMultipartFile } from '../upload/multipart.js';
import { guardedBody } from '../upload/upload-guard.js';
import type { ApiApp, RouteDeps } from './deps.js';
import { idempotencyKeyOf } from './idempotency-key.js';
import { toJobView } from './job-view.js';

const RAW_CSV_TYPES = ['text/csv', 'application/csv', 'text/plain', 'application/octet-stream'];
/** Room for the multipart boundaries and headers around the file. */
const MULTIPART_OVERHEAD = 64 * 1024;

const submitRoute = createRoute({
  method: 'post',
  path: '/v1/jobs',
  operationId: 'submitJob',
  security: V1_SECURITY,
  tags: ['jobs'],
  summary: 'Upload a CSV of song plays and queue its aggregation',
  description:
    'Send the file as multipart field `file`, or as a raw `text/csv` body. The upload is streamed to storage, never buffered. `202` means stored, and will be published to a worker. With an `Idempotency-Key` header, the same key with the same file returns the job it first created. An upload that sends nothing for the idle timeout (30 s by default) is stopped with 408; an aborted upload leaves nothing behind.',
  request: {
    query: SubmitJobQuerySchema,
    body: {
      required: true,
      content: {
        'multipart/form-data': { schema: UploadFormSchema },
        'text/csv': { schema: z.string().openapi({ format: 'binary' }) },
      },
    },
  },
  responses: {
    202: {
      description: 'Queued; follow `links.self` or the events WebSocket.',
      content: { 'application/json': { schema: JobSchema } },
    },
    400: errorResponse('No file, or a malformed form or query.'),
    401: errorResponse('Missing or wrong API key.'),
    408: errorResponse('The upload stopped sending for longer than the idle timeout.'),
    413: errorResponse('The upload is larger than the limit.'),
    415: errorResponse('Neither multipart/form-data nor a CSV body.'),
    422: errorResponse('The `Idempotency-Key` was already used with a different upload.'),
    503: errorResponse(
      'Too many uploads in progress, the database is unavailable, or too many events wait for the broker; retry after `Retry-After` seconds.',
    ),
    507: errorResponse('The storage is full or read-only (`details.reason`).'),
  },
});

const listRoute = createRoute({
  method: 'get',
  path: '/v1/jobs',
  operationId: 'listJobs',
  security: V1_READ_SECURITY,
  tags: ['jobs'],
  summary: 'List jobs, newest first',
  request: { query: PageQuerySchema },
  responses: {
    200: {
      description: 'A page of jobs.',
      content: { 'application/json': { schema: pageSchema(JobSchema, 'JobPage') } },
    },
    400: errorResponse('Invalid paging parameters.'),
    401: errorResponse('Missing or wrong API key.'),
  },
});

const getRoute = createRoute({
  method: 'get',
  path: '/v1/jobs/{id}',
  operationId: 'getJob',
  security: V1_READ_SECURITY,
  tags: ['jobs'],
  summary: "A job's status, progress, attempts, error, statistics and timestamps",
  request: { params: JobIdParamsSchema },
  responses: {
    200: { description: 'The job.', content: { 'application/json': { schema: JobSchema } } },
    400: errorResponse('The id is malformed (empty, or longer than 100 characters).'),
    401: errorResponse('Missing or wrong API key.'),
    404: errorResponse('No such job.'),
  },
});

const resultRoute = createRoute({
  method: 'get',
  path: '/v1/jobs/{id}/result',
  operationId: 'getJobResult',
  security: V1_READ_SECURITY,
  tags: ['jobs'],
  summary: 'Download the output CSV of a succeeded job (streamed), or one song of it',
  description:
    "With `?song=`, only that song's rows (and the header) are streamed, shown inline: the result is sorted by song, so the server reads it only up to that song.",
  request: {
    params: JobIdParamsSchema,
    query: z.object({
      song: z.string().min(1).max(1000).optional().openapi({
        description: 'Only the rows of this song (compared trimmed, exactly).',
        example: 'Umbrella',
      }),
      apiKey: z
        .string()
        .optional()
        .openapi({ description: 'The API key, for clients that cannot send a header.' }),
    }),
  },
  responses: {
    200: {
      description: 'Song,Date,Total Number of Plays for Date — one row per song and day.',
      content: { 'text/csv': { schema: z.string() } },
    },
    400: errorResponse('The id is malformed (empty, or longer than 100 characters).'),
    401: errorResponse('Missing or wrong API key.'),
    404: errorResponse('No such job.'),
    409: errorResponse('The job has no result (yet); `details.status` says why.'),
  },
});

const cancelRoute = createRoute({
  method: 'delete',
  path: '/v1/jobs/{id}',
  operationId: 'cancelJob',
  security: V1_SECURITY,
  tags: ['jobs'],
  summary: 'Cancel a queued or processing job; delete a finished one with its result',
  request: { params: JobIdParamsSchema },
  responses: {
    200: {
      description: 'The cancelled job.',
      content: { 'application/json': { schema: JobSchema } },
    },
    204: { description: 'The finished job and its result are deleted.' },
    400: errorResponse('The id is malformed (empty, or longer than 100 characters).'),
    401: errorResponse('Missing or wrong API key.'),
    404: errorResponse('No such job.'),
  },
});

/** Registers the `/v1/jobs` routes. */
export function registerJobRoutes(app: ApiApp, deps: RouteDeps): void {
  app.openAPIRegistry.registerPath(submitRoute);
  app.post('/v1/jobs', (c) => submitJob(c, deps));

  app.openapi(listRoute, async (c) => {
    const { limit, cursor } = c.req.valid('query');
    const page = await deps.jobs.list({
      ...(limit === undefined ? {} : { limit }),
      ...(cursor === undefined ? {} : { cursor }),
    });
    return c.json({ items: page.items.map(toJobView), nextCursor: page.nextCursor }, 200);
  });

  app.openapi(getRoute, async (c) => {
    const job = await deps.jobs.get(c.req.valid('param').id);
    return c.json(toJobView(job), 200);
  });

  app.openapi(resultRoute, async (c) => {
    const { job, size, stream } = await deps.jobs.openResult(c.req.valid('param').id);
    const { song } = c.req.valid('query');
    if (song !== undefined) {
      return c.body(Readable.toWeb(songRows(stream, song)) as ReadableStream<Uint8Array>, 200, {
        'Content-Type': 'text/csv; charset=utf-8',
        'X-Content-Type-Options': 'nosniff',
        'Cache-Control': 'private, max-age=0',
      });
    }
    return c.body(Readable.toWeb(stream) as ReadableStream<Uint8Array>, 200, {
      'Content-Type': 'text/csv; charset=utf-8',
      'Content-Length': String(size),
      'Content-Disposition': attachmentDisposition(resultFileName(job.filename)),
      'X-Content-Type-Options': 'nosniff',
      'Cache-Control': 'private, max-age=0',
    });
  });

  app.openapi(cancelRoute, async (c) => {
    const removed = await deps.jobs.remove(c.req.valid('param').id);
    if (removed.outcome === 'deleted') return c.body(null, 204);
    return c.json(toJobView(removed.job), 200);
  });
}

async function submitJob(c: Context, deps: RouteDeps): Promise<Response> {
  const query = SubmitJobQuerySchema.safeParse(c.req.query());
  if (!query.success) {
    throw new PlaytallyError('VALIDATION_FAILED', 'onInvalid must be "fail" or "skip"', {
      details: { issues: query.error.issues },
    });
  }
  const declared = Number(c.req.header('content-length') ?? Number.NaN);
  const declaredBytes = Number.isFinite(declared) ? declared : undefined;
  const mediaType = (c.req.header('content-type') ?? '').split(';')[0]?.trim().toLowerCase();
  const idempotencyKey = idempotencyKeyOf(c);
  let job: Awaited<ReturnType<RouteDeps['jobs']['submit']>>;
  if (mediaType === 'multipart/form-data') {
    if (declaredBytes !== undefined && declaredBytes > deps.maxUploadBytes + MULTIPART_OVERHEAD) {
      throw tooLarge(deps.maxUploadBytes);
    }
    if (!c.req.raw.body) throw new PlaytallyError('VALIDATION_FAILED', 'the form has no file');
    const release = deps.uploads.acquire();
    try {
      const body = guardedBody(c.req.raw, deps.uploadIdleTimeoutMs);
      job = await receiveMultipartFile(body, c.req.header('content-type') ?? '', {
        onFile: (file, filename, fields) =>
          deps.jobs.submit({
            source: file,
            filename: filename ?? query.data.filename,
            onInvalid: async () => parsePolicy((await fields).onInvalid) ?? query.data.onInvalid,
            idempotencyKey,
          }),
      });
    } finally {
      release();
    }
  } else if (mediaType && RAW_CSV_TYPES.includes(mediaType)) {
    if (!c.req.raw.body) {
      throw new PlaytallyError('VALIDATION_FAILED', 'the request has no body: send a CSV');
    }
    const release = deps.uploads.acquire();
    try {
      job = await deps.jobs.submit({
        source: guardedBody(c.req.raw, deps.uploadIdleTimeoutMs),
        filename: query.data.filename,
        onInvalid: query.data.onInvalid,
        declaredBytes,
        idempotencyKey,
      });
    } finally {
      release();
    }
  } else if (!mediaType && (!c.req.raw.body || declaredBytes === 0)) {
    throw new PlaytallyError(
      'VALIDATION_FAILED',
      'no file: send the CSV as multipart field "file" or as a text/csv body',
    );
  } else {
    throw new PlaytallyError(
      'UNSUPPORTED_MEDIA_TYPE',
      mediaType
        ? `send the CSV as multipart/form-data (field "file") or as a text/csv body, not ${mediaType}`
        : 'the request has no Content-Type: send the CSV as multipart/form-data (field "file") or as a text/csv body',
      { details: { contentType: mediaType ?? null } },
    );
  }
  const view = toJobView(job);
  c.header('Location', view.links.self);
  return c.json(view, 202);
}

function parsePolicy(value: string | undefined): InvalidRowPolicy | undefined {
  if (value === undefined || value === '') return undefined;
  if (value === 'fail' || value === 'skip') return value;
  throw new PlaytallyError(
    'VALIDATION_FAILED',
    `onInvalid must be "fail" or "skip", not "${value}"`,
    {
      details: { issues: [{ path: ['onInvalid'], message: 'expected "fail" or "skip"' }] },
    },
  );
}

function tooLarge(maxBytes: number): PlaytallyError {
  return new PlaytallyError('PAYLOAD_TOO_LARGE', `the upload is larger than ${maxBytes} bytes`, {
    details: { maxBytes },
  });
}
