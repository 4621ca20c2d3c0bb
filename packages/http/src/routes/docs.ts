import { swaggerUI } from '@hono/swagger-ui';
import type { ApiApp } from './deps.js';

/** Registers `/openapi.json` (generated from the routes' zod schemas) and `/docs` (Swagger UI). */
export function registerDocRoutes(app: ApiApp, version: string): void {
  app.openAPIRegistry.registerComponent('securitySchemes', 'ApiKey', {
    type: 'apiKey',
    in: 'header',
    name: 'X-API-Key',
  });
  app.openAPIRegistry.registerComponent('securitySchemes', 'Bearer', {
    type: 'http',
    scheme: 'bearer',
  });
  app.doc31('/openapi.json', {
    openapi: '3.1.0',
    info: {
      title: 'playtally',
      version,
      description:
        'Upload CSVs of song plays and get per-song, per-day totals; post JSON messages; watch both live. When the server has an API key, every /v1 route requires it.',
    },
    tags: [
      { name: 'jobs', description: 'CSV aggregation jobs' },
      { name: 'messages', description: 'JSON messages' },
      { name: 'events', description: 'Live events' },
      { name: 'operations', description: 'Health and metrics' },
    ],
  });
  app.get('/docs', swaggerUI({ url: '/openapi.json', title: 'playtally API' }));
}
