import type { Context } from 'hono';
import { Hono } from 'hono';
import { loadWebAssets, type WebAsset } from './assets.js';

/**
 * Everything the page may load comes from its own server: scripts, styles, images and the
 * API/WebSocket connections ('self' covers same-origin ws:/wss: in CSP Level 3).
 */
const CONTENT_SECURITY_POLICY = [
  "default-src 'none'",
  "script-src 'self'",
  "style-src 'self'",
  "img-src 'self' data: blob:",
  "connect-src 'self'",
  "base-uri 'self'",
  "form-action 'self'",
  "frame-ancestors 'none'",
].join('; ');

function send(c: Context, asset: WebAsset, isPage = false): Response {
  const headers: Record<string, string> = {
    'Content-Type': asset.contentType,
    ETag: asset.etag,
    // Revalidate every time: the files are tiny and change with each release.
    'Cache-Control': 'no-cache',
    'X-Content-Type-Options': 'nosniff',
    'Referrer-Policy': 'no-referrer',
  };
  if (isPage) headers['Content-Security-Policy'] = CONTENT_SECURITY_POLICY;
  if (c.req.header('If-None-Match') === asset.etag) return c.body(null, 304, headers);
  return c.body(asset.body, 200, headers);
}

/**
 * The web page as Hono routes: `GET /` serves the page and `GET /assets/<name>` its scripts,
 * stylesheet and icon. Mount it on the app root (the page calls the API with URLs relative to
 * itself, so mounting the whole app under a prefix also works). Plain JavaScript, no framework,
 * nothing loaded from another origin.
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
  const assets = loadWebAssets();
  const web = new Hono();
  web.get('/', (c) => send(c, assets.index, true));
  web.get('/index.html', (c) => send(c, assets.index, true));
  web.get('/assets/:name', (c) => {
    const asset = assets.files.get(c.req.param('name'));
    if (!asset) {
      return c.json(
        { error: { code: 'NOT_FOUND', message: 'no such page asset', details: null } },
        404,
      );
    }
    return send(c, asset);
  });
  return web;
}
