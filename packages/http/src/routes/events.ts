import { createRoute, z } from '@hono/zod-openapi';
import { toJsonEventFormat } from '@playtally/transport';
import type { UpgradeWebSocket } from 'hono/ws';
import { errorBody } from '../middleware/errors.js';
import { errorResponse } from '../schemas/error.js';
import { V1_READ_SECURITY } from '../schemas/security.js';
import type { ApiApp, RouteDeps } from './deps.js';
import { createEventFanOut, rawSocket } from './event-fan-out.js';

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

/**
 * A CloudEvent in JSON structured mode, as the WebSocket sends it: `toJsonEventFormat` of
 * `@playtally/transport` (bytes as `data_base64`, an absent `time` left out).
 */
export const toStructuredCloudEvent = toJsonEventFormat;

/** Registers `GET /v1/events`, the WebSocket relaying the events topic. */
export function registerEventRoutes(
  app: ApiApp,
  deps: RouteDeps,
  upgradeWebSocket: UpgradeWebSocket,
): void {
  app.openAPIRegistry.registerPath(eventsRoute);
  // Each event is serialized once for every client; each client's events of a turn, one write.
  const fanOut = createEventFanOut(
    (event) => JSON.stringify(toStructuredCloudEvent(event)),
    deps.maxEventBufferedBytes,
  );
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
          const raw = rawSocket(ws.raw);
          const client =
            raw &&
            fanOut.client(raw, (buffered) => {
              // A client this far behind is dropped rather than buffered without bound.
              deps.logger.warn(
                { bufferedBytes: buffered, limit: deps.maxEventBufferedBytes },
                'event WebSocket client too slow: disconnected',
              );
              stop?.();
            });
          stop = deps.hub.onEvent((event) => {
            if (!wanted(event.type)) return;
            if (client === undefined) return ws.send(fanOut.frameOf(event).toString());
            client.push(event);
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
