import { createRequire } from 'node:module';
import { dirname } from 'node:path';
import { serveStatic } from '@hono/node-server/serve-static';
import type { ApiApp } from './deps.js';

/** The pinned Swagger UI the app serves itself, so `/docs` works without internet. */
const SWAGGER_UI_DIR = dirname(
  createRequire(import.meta.url).resolve('swagger-ui-dist/package.json'),
);

/** The few files of swagger-ui-dist the page loads; nothing else of the package is served. */
const SWAGGER_UI_FILES = new Set(['swagger-ui.css', 'swagger-ui-bundle.js', 'favicon-32x32.png']);

const DOCS_PAGE = `<!doctype html>
<html lang="en">
<head>
  <meta charset="utf-8">
  <meta name="viewport" content="width=device-width, initial-scale=1">
  <title>playtally API</title>
  <link rel="icon" href="docs/assets/favicon-32x32.png">
  <link rel="stylesheet" href="docs/assets/swagger-ui.css">
</head>
<body>
  <div id="swagger-ui"></div>
  <script src="docs/assets/swagger-ui-bundle.js"></script>
  <script src="docs/init.js"></script>
</body>
</html>
`;

/** Starts Swagger UI on the document served beside it (a relative URL: works under a prefix). */
const DOCS_INIT = `window.ui = SwaggerUIBundle({
  url: new URL('openapi.json', document.baseURI).toString(),
  dom_id: '#swagger-ui',
  deepLinking: true,
});
`;

/**
 * Registers `/openapi.json` (generated from the routes' zod schemas) and `/docs`: Swagger UI
 * from the pinned `swagger-ui-dist` package, served by the app itself (no CDN).
 */
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
  app.openAPIRegistry.registerComponent('securitySchemes', 'ApiKeyQuery', {
    type: 'apiKey',
    in: 'query',
    name: 'apiKey',
    description:
      'GET requests only: for WebSockets and download links, where a browser sets no header.',
  });
  app.doc31('/openapi.json', {
    openapi: '3.1.0',
    servers: [{ url: '/', description: 'The server that serves this document.' }],
    info: {
      title: 'playtally',
      version,
      license: { name: 'MIT', url: 'https://opensource.org/license/mit' },
      description:
        'Upload CSVs of song plays and get per-song, per-day totals; post JSON messages; watch both live. When the server has an API key, every /v1 route requires it.',
    },
    tags: [
      { name: 'jobs', description: 'CSV aggregation jobs' },
      { name: 'messages', description: 'JSON messages' },
      { name: 'events', description: 'Live events' },
      { name: 'operations', description: 'Health and metrics' },
      { name: 'system', description: "Workers, queues and dead letters: the operator's view" },
    ],
  });
  app.get('/docs', (c) => c.html(DOCS_PAGE));
  app.get('/docs/init.js', (c) =>
    c.body(DOCS_INIT, 200, { 'Content-Type': 'text/javascript; charset=utf-8' }),
  );
  app.get('/docs/assets/:file', async (c, next) => {
    if (!SWAGGER_UI_FILES.has(c.req.param('file'))) return next();
    return serveStatic({ root: SWAGGER_UI_DIR, path: c.req.param('file') })(c, next);
  });
}
