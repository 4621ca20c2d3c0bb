import { createRoute } from '@hono/zod-openapi';
import { errorResponse } from '../schemas/error.js';
import { pageSchema } from '../schemas/page.js';
import { V1_READ_SECURITY, V1_SECURITY } from '../schemas/security.js';
import {
  DeadLetterIdParamsSchema,
  DeadLetterQuerySchema,
  DeadLetterSchema,
  QueueListSchema,
  WorkerListSchema,
} from '../schemas/system.js';
import { deadLetterView } from './dead-letter-view.js';
import type { ApiApp, RouteDeps } from './deps.js';

const workersRoute = createRoute({
  method: 'get',
  path: '/v1/workers',
  operationId: 'listWorkers',
  security: V1_READ_SECURITY,
  tags: ['system'],
  summary: 'Worker processes: alive or lost, what they run, what they did',
  description:
    'Every worker announces itself on the events topic (`worker.started`), beats every few seconds (`worker.heartbeat`) and says goodbye (`worker.stopped`); these events also reach the events WebSocket. A worker that missed three heartbeats is `lost`, its running jobs at risk. Alive workers first, then by id.',
  responses: {
    200: {
      description: 'The workers this API instance has heard of.',
      content: { 'application/json': { schema: WorkerListSchema } },
    },
    401: errorResponse('Missing or wrong API key.'),
  },
});

const queuesRoute = createRoute({
  method: 'get',
  path: '/v1/queues',
  operationId: 'listQueues',
  security: V1_READ_SECURITY,
  tags: ['system'],
  summary: 'Queue depths per topic and group, read from the broker',
  description:
    'For the jobs topic (group `workers`) and the messages topic (group `consumers`): events waiting, events held unacknowledged, consumers, and dead letters. A snapshot: figures move while events flow.',
  responses: {
    200: {
      description: 'One entry per topic and group the broker knows.',
      content: { 'application/json': { schema: QueueListSchema } },
    },
    401: errorResponse('Missing or wrong API key.'),
    503: errorResponse('The broker or the database did not answer.'),
  },
});

const listDeadLettersRoute = createRoute({
  method: 'get',
  path: '/v1/dead-letters',
  operationId: 'listDeadLetters',
  security: V1_READ_SECURITY,
  tags: ['system'],
  summary: 'Dead letters, newest first',
  description:
    'Events a consumer group gave up on (its retries ran out, it refused them as unrecoverable, or they could not be decoded), with the reason and the original event.',
  request: { query: DeadLetterQuerySchema },
  responses: {
    200: {
      description: 'A page of dead letters.',
      content: {
        'application/json': { schema: pageSchema(DeadLetterSchema, 'DeadLetterPage') },
      },
    },
    400: errorResponse('Invalid paging or filter parameters.'),
    401: errorResponse('Missing or wrong API key.'),
  },
});

const getDeadLetterRoute = createRoute({
  method: 'get',
  path: '/v1/dead-letters/{id}',
  operationId: 'getDeadLetter',
  security: V1_READ_SECURITY,
  tags: ['system'],
  summary: 'One dead letter',
  request: { params: DeadLetterIdParamsSchema },
  responses: {
    200: {
      description: 'The dead letter.',
      content: { 'application/json': { schema: DeadLetterSchema } },
    },
    400: errorResponse('The id is malformed.'),
    401: errorResponse('Missing or wrong API key.'),
    404: errorResponse('No such dead letter.'),
  },
});

const replayRoute = createRoute({
  method: 'post',
  path: '/v1/dead-letters/{id}/replay',
  operationId: 'replayDeadLetter',
  security: V1_SECURITY,
  tags: ['system'],
  summary: 'Publish the original event again to its topic',
  description:
    'Every group of the topic receives it again. A dead letter is replayed once: a second replay answers 409. Should the event be dead-lettered again, its dead letter is pending again and can be replayed again.',
  request: { params: DeadLetterIdParamsSchema },
  responses: {
    200: {
      description: 'Published; the dead letter is marked replayed.',
      content: { 'application/json': { schema: DeadLetterSchema } },
    },
    400: errorResponse('The id is malformed.'),
    401: errorResponse('Missing or wrong API key.'),
    404: errorResponse('No such dead letter.'),
    409: errorResponse('Already replayed.'),
    503: errorResponse('The broker did not confirm the event; the dead letter stays pending.'),
  },
});

const discardRoute = createRoute({
  method: 'delete',
  path: '/v1/dead-letters/{id}',
  operationId: 'discardDeadLetter',
  security: V1_SECURITY,
  tags: ['system'],
  summary: 'Discard a dead letter',
  request: { params: DeadLetterIdParamsSchema },
  responses: {
    204: { description: 'Deleted.' },
    400: errorResponse('The id is malformed.'),
    401: errorResponse('Missing or wrong API key.'),
    404: errorResponse('No such dead letter.'),
  },
});

/** Registers the operator's routes: workers, queues and dead letters. */
export function registerSystemRoutes(app: ApiApp, deps: RouteDeps): void {
  app.openapi(workersRoute, (c) => {
    const items = deps.system.workers.list().map((worker) => ({
      ...worker,
      activeJobs: [...worker.activeJobs],
      jobsAtRisk: [...worker.jobsAtRisk],
    }));
    return c.json({ items }, 200);
  });

  app.openapi(queuesRoute, async (c) => c.json({ items: await deps.system.queues() }, 200));

  app.openapi(listDeadLettersRoute, async (c) => {
    const { limit, cursor, topic } = c.req.valid('query');
    const page = await deps.system.deadLetters.list({
      ...(limit === undefined ? {} : { limit }),
      ...(cursor === undefined ? {} : { cursor }),
      ...(topic === undefined ? {} : { topic }),
    });
    return c.json({ items: page.items.map(deadLetterView), nextCursor: page.nextCursor }, 200);
  });

  app.openapi(getDeadLetterRoute, async (c) => {
    const letter = await deps.system.deadLetters.get(c.req.valid('param').id);
    return c.json(deadLetterView(letter), 200);
  });

  app.openapi(replayRoute, async (c) => {
    const letter = await deps.system.deadLetters.replay(c.req.valid('param').id);
    return c.json(deadLetterView(letter), 200);
  });

  app.openapi(discardRoute, async (c) => {
    await deps.system.deadLetters.discard(c.req.valid('param').id);
    return c.body(null, 204);
  });
}
