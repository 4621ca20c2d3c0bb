import { createRoute, z } from '@hono/zod-openapi';
import { PlaytallyError } from '@playtally/service';
import { STRUCTURED_MEDIA_TYPE } from '@playtally/transport';
import type { Context } from 'hono';
import { errorResponse } from '../schemas/error.js';
import {
  MessageBodySchema,
  MessageIdParamsSchema,
  MessageSchema,
  PostMessageHeadersSchema,
  PostMessageQuerySchema,
  StructuredEventSchema,
} from '../schemas/message.js';
import { PageQuerySchema, pageSchema } from '../schemas/page.js';
import { V1_READ_SECURITY, V1_SECURITY } from '../schemas/security.js';
import { parseJsonBody } from '../upload/json-body.js';
import { readRequestBytes } from '../upload/limited-body.js';
import { BATCH_MEDIA_TYPE, postedEvents } from './cloudevents-body.js';
import type { ApiApp, RouteDeps } from './deps.js';
import { idempotencyKeyOf } from './idempotency-key.js';

const postRoute = createRoute({
  method: 'post',
  path: '/v1/messages',
  operationId: 'postMessage',
  security: V1_SECURITY,
  tags: ['messages'],
  summary: 'Post a JSON message: stored, published, consumed, and shown live',
  description:
    "Any JSON object; where a schema is registered for the message type (`?type=` or the `ce-type` header), it must satisfy it. In CloudEvents binary mode the `ce-id` and `ce-time` headers are kept: the consumer receives the message under that id and time, and the same `ce-id` from the same `ce-source` again returns the stored message instead of storing a second one. An `Idempotency-Key` header does the same for any client. The CloudEvents HTTP binding's structured mode (`application/cloudevents+json`: one event, its `data` the message) and batched mode (`application/cloudevents-batch+json`: an array of events, answered with an array of messages) are accepted too, with the same rules for each event's `id`, `source`, `type` and `time`; every event of a batch is checked before any is stored, and a batch retried after a failure stores each event once. JSON nested more than 64 levels, numbers that are not finite, invalid UTF-8 and `__proto__` keys are refused with 400. `202` means stored, and will be published.",
  request: {
    query: PostMessageQuerySchema,
    headers: PostMessageHeadersSchema,
    body: {
      required: true,
      content: {
        'application/json': { schema: MessageBodySchema },
        [STRUCTURED_MEDIA_TYPE]: { schema: StructuredEventSchema },
        [BATCH_MEDIA_TYPE]: { schema: z.array(StructuredEventSchema) },
      },
    },
  },
  responses: {
    202: {
      description:
        'Stored as received (a batch: each event, in order); `message.consumed` follows on the events WebSocket.',
      content: {
        'application/json': { schema: z.union([MessageSchema, z.array(MessageSchema)]) },
      },
    },
    400: errorResponse(
      'Not JSON, not an object, not a CloudEvent (structured or batched mode), or not valid for its type (`details.issues`).',
    ),
    401: errorResponse('Missing or wrong API key.'),
    413: errorResponse('The body is larger than the limit (64 KiB by default).'),
    415: errorResponse(
      'The body is not application/json, application/cloudevents+json or application/cloudevents-batch+json.',
    ),
    422: errorResponse('The `Idempotency-Key` was already used with a different message.'),
    503: errorResponse(
      'The database is unavailable, or too many events wait for the broker; retry after `Retry-After` seconds.',
    ),
    507: errorResponse("The database's disk is full."),
  },
});

const listRoute = createRoute({
  method: 'get',
  path: '/v1/messages',
  operationId: 'listMessages',
  security: V1_READ_SECURITY,
  tags: ['messages'],
  summary: 'List messages, newest first',
  request: { query: PageQuerySchema },
  responses: {
    200: {
      description: 'A page of messages.',
      content: { 'application/json': { schema: pageSchema(MessageSchema, 'MessagePage') } },
    },
    400: errorResponse('Invalid paging parameters.'),
    401: errorResponse('Missing or wrong API key.'),
  },
});

const getRoute = createRoute({
  method: 'get',
  path: '/v1/messages/{id}',
  operationId: 'getMessage',
  security: V1_READ_SECURITY,
  tags: ['messages'],
  summary: 'One message',
  request: { params: MessageIdParamsSchema },
  responses: {
    200: {
      description: 'The message.',
      content: { 'application/json': { schema: MessageSchema } },
    },
    400: errorResponse('The id is malformed (empty, or longer than 100 characters).'),
    401: errorResponse('Missing or wrong API key.'),
    404: errorResponse('No such message.'),
  },
});

/** Registers the `/v1/messages` routes. */
export function registerMessageRoutes(app: ApiApp, deps: RouteDeps): void {
  app.openAPIRegistry.registerPath(postRoute);
  app.post('/v1/messages', (c) => postMessage(c, deps));

  app.openapi(listRoute, async (c) => {
    const { limit, cursor } = c.req.valid('query');
    const page = await deps.messages.list({
      ...(limit === undefined ? {} : { limit }),
      ...(cursor === undefined ? {} : { cursor }),
    });
    return c.json({ items: page.items.map((m) => ({ ...m })), nextCursor: page.nextCursor }, 200);
  });

  app.openapi(getRoute, async (c) => {
    const message = await deps.messages.get(c.req.valid('param').id);
    return c.json({ ...message }, 200);
  });
}

async function postMessage(c: Context, deps: RouteDeps): Promise<Response> {
  const mediaType = (c.req.header('content-type') ?? '').split(';')[0]?.trim().toLowerCase() ?? '';
  if (mediaType !== 'application/json' && !mediaType.endsWith('+json')) {
    throw new PlaytallyError(
      'UNSUPPORTED_MEDIA_TYPE',
      mediaType
        ? `send the message as application/json, not ${mediaType}`
        : 'the request has no Content-Type: send the message as application/json',
      { details: { contentType: mediaType || null } },
    );
  }
  const data = parseJsonBody(await readRequestBytes(c, deps.maxMessageBytes));
  if (mediaType === STRUCTURED_MEDIA_TYPE || mediaType === BATCH_MEDIA_TYPE) {
    const key = idempotencyKeyOf(c);
    const events = postedEvents(data, mediaType === BATCH_MEDIA_TYPE);
    const stored = [];
    // Each event of a batch gets its own key (the event's ce-id makes it idempotent anyway).
    for (const [index, event] of events.entries()) {
      const idempotencyKey = key === undefined || events.length === 1 ? key : `${key}#${index}`;
      stored.push(await deps.messages.post({ ...event, idempotencyKey }));
    }
    if (mediaType === BATCH_MEDIA_TYPE) return c.json(stored, 202);
    c.header('Location', `/v1/messages/${encodeURIComponent(stored[0]!.id)}`);
    return c.json(stored[0], 202);
  }
  const stored = await deps.messages.post({
    data,
    type: c.req.header('ce-type') ?? c.req.query('type'),
    source: c.req.header('ce-source'),
    eventId: c.req.header('ce-id'),
    eventTime: c.req.header('ce-time'),
    idempotencyKey: idempotencyKeyOf(c),
  });
  c.header('Location', `/v1/messages/${encodeURIComponent(stored.id)}`);
  return c.json(stored, 202);
}
