import { createRoute, z } from '@hono/zod-openapi';
import type { CloudEvent } from '@playtally/transport';
import type { UpgradeWebSocket } from 'hono/ws';
import { errorBody } from '../middleware/errors.js';
import { errorResponse } from '../schemas/error.js';
import { V1_READ_SECURITY } from '../schemas/security.js';
import type { ApiApp, RouteDeps } from './deps.js';

/** A client this far behind is disconnected rather than buffered without bound. */
const MAX_BUFFERED_BYTES = 8 * 1024 * 1024;

const eventsRoute = createRoute({
  method: 'get',
  path: '/v1/events',
  operationId: 'openEventStream',
  security: V1_READ_SECURITY,
  tags: ['events'],
  summary: 'WebSocket of live CloudEvents (job.*, message.*, worker.*), JSON in structured mode',
  description:
    'Every event of every API instance and worker: job.queued, job.started, job.progress, job.completed, job.failed, job.cancelled, message.received, message.consumed, and worker.started, worker.heartbeat, worker.stopped from worker processes, and deadletter.recorded. With an API key set, browsers pass it as `?apiKey=`.',
  request: {
    query: z.object({
      types: z.string().optional().openapi({
        description: 'Comma-separated type prefixes to receive, e.g. `job.` or `message.consumed`.',
      }),
    }),
  },
  responses: {
    101: { description: 'Switching to the WebSocket protocol.' },
    401: errorResponse('Missing or wrong API key.'),
    426: errorResponse('Not a WebSocket upgrade request: connect with a WebSocket client.'),
  },
});

/** A CloudEvent in JSON structured mode: attributes and extensions at the top, `data` inside. */
export function toStructuredCloudEvent(event: CloudEvent): Record<string, unknown> {
  return {
    ...event.extensions,
    specversion: event.specversion,
    id: event.id,
    source: event.source,
    type: event.type,
    time: event.time,
    datacontenttype: event.datacontenttype,
    ...(event.subject === undefined ? {} : { subject: event.subject }),
    data: event.data,
  };
}

/** Registers `GET /v1/events`, the WebSocket relaying the events topic. */
export function registerEventRoutes(
  app: ApiApp,
  deps: RouteDeps,
  upgradeWebSocket: UpgradeWebSocket,
): void {
  app.openAPIRegistry.registerPath(eventsRoute);
  app.get(
    '/v1/events',
    upgradeWebSocket((c) => {
      const prefixes = (c.req.query('types') ?? '')
        .split(',')
        .map((prefix) => prefix.trim())
        .filter(Boolean);
      const wanted = (type: string) =>
        prefixes.length === 0 || prefixes.some((prefix) => type.startsWith(prefix));
      let stop: (() => void) | undefined;
      return {
        onOpen(_event, ws) {
          deps.metrics.trackClients(1);
          stop = deps.hub.onEvent((event) => {
            if (!wanted(event.type)) return;
            const raw = ws.raw as { bufferedAmount?: number } | undefined;
            if ((raw?.bufferedAmount ?? 0) > MAX_BUFFERED_BYTES) {
              ws.close(1013, 'too slow: reconnect and reload');
              return;
            }
            ws.send(JSON.stringify(toStructuredCloudEvent(event)));
          });
        },
        onClose() {
          if (!stop) return;
          stop();
          stop = undefined;
          deps.metrics.trackClients(-1);
        },
        onError(error) {
          deps.logger.debug({ err: error }, 'event WebSocket error');
        },
      };
    }),
    (c) => {
      c.header('Upgrade', 'websocket');
      return errorBody(
        c,
        426,
        'UPGRADE_REQUIRED',
        '/v1/events is a WebSocket: connect with a WebSocket client (Upgrade: websocket)',
      );
    },
  );
}
