import { createRequire } from 'node:module';
import { dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import { serveStatic } from '@hono/node-server/serve-static';
import { Hono } from 'hono';
import { etag } from 'hono/etag';
import { secureHeaders } from 'hono/secure-headers';

/**
 * The page's files. The directory sits next to this module both in the sources
 * (`src/web/assets/`, beside `src/web/web-routes.ts`) and in the build (`dist/assets/`, beside
 * the bundled `dist/index.js`; the tsup config copies it there), so one relative URL finds it.
 */
export const WEB_ASSET_DIR = fileURLToPath(new URL('./assets/', import.meta.url));

/**
 * Everything the page may load comes from its own server: scripts, styles, images and the
 * API/WebSocket connections ('self' covers same-origin ws:/wss: in CSP Level 3).
 */
const pageSecurity = secureHeaders({
  contentSecurityPolicy: {
    defaultSrc: ["'none'"],
    scriptSrc: ["'self'"],
    styleSrc: ["'self'"],
    imgSrc: ["'self'", 'data:', 'blob:'],
    connectSrc: ["'self'"],
    baseUri: ["'self'"],
    formAction: ["'self'"],
    frameAncestors: ["'none'"],
  },
  referrerPolicy: 'no-referrer',
  crossOriginEmbedderPolicy: false,
});

/** uPlot's build (`dist/`), served at `/assets/vendor/`: the page's charts, from its own server. */
const UPLOT_DIR = dirname(createRequire(import.meta.url).resolve('uplot'));
const VENDOR_FILES = new Set(['/assets/vendor/uPlot.esm.js', '/assets/vendor/uPlot.min.css']);

const notFound = { error: { code: 'NOT_FOUND', message: 'no such page asset', details: null } };

/**
 * The web page as Hono routes: `GET /` serves the page and `GET /assets/<name>` its scripts,
 * stylesheet and icon, through Hono's static file middleware (which refuses any path that
 * leaves the asset directory) with strong ETags and `no-cache` revalidation. Mount it on the
 * app root (the page calls the API with URLs relative to itself, so mounting the whole app
 * under a prefix also works). Plain JavaScript, no framework, nothing from another origin.
 *
 * @example
 * ```ts
 * import { Hono } from 'hono';
 * import { createWebRoutes } from '@playtally/http';
 * const app = new Hono();
 * app.route('/', createWebRoutes());
 * ```
 */
export function createWebRoutes(): Hono {
  const web = new Hono();
  // Only on the page's own paths: mounted at the root, a '*' here would wrap the API too.
  for (const path of ['/', '/index.html', '/assets/*'])
    web.use(path, pageSecurity, etag(), async (c, next) => {
      await next();
      // Revalidate every time: the files are tiny and change with each release.
      if (c.res.ok) c.header('Cache-Control', 'no-cache');
    });
  const page = serveStatic({ root: WEB_ASSET_DIR, path: 'index.html' });
  web.get('/', page);
  web.get('/index.html', page);
  web.get(
    '/assets/vendor/*',
    async (c, next) => (VENDOR_FILES.has(c.req.path) ? next() : c.json(notFound, 404)),
    serveStatic({
      root: UPLOT_DIR,
      rewriteRequestPath: (path) => path.slice('/assets/vendor'.length),
    }),
    (c) => c.json(notFound, 404),
  );
  web.get(
    '/assets/*',
    serveStatic({
      root: WEB_ASSET_DIR,
      rewriteRequestPath: (path) => path.slice('/assets'.length),
    }),
    (c) => c.json(notFound, 404),
  );
  return web;
}
