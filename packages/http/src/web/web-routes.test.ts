import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { createWebRoutes, WEB_ASSET_DIR } from './web-routes.js';

/** The page's files as they are on disk, by name. */
const files = new Map(
  readdirSync(WEB_ASSET_DIR).map((name) => [name, readFileSync(join(WEB_ASSET_DIR, name), 'utf8')]),
);

const web = createWebRoutes();

describe('the web routes', () => {
  it('serve the page at / as HTML with a same-origin-only content security policy', async () => {
    const response = await web.request('/');
    expect(response.status).toBe(200);
    expect(response.headers.get('content-type')).toBe('text/html; charset=utf-8');
    const csp = response.headers.get('content-security-policy') ?? '';
    expect(csp).toContain("default-src 'none'");
    expect(csp).toContain("script-src 'self'");
    expect(csp).toContain("connect-src 'self'");
    const html = await response.text();
    expect(html).toContain('<title>playtally</title>');
  });

  it('serve the script and the stylesheet with their content types', async () => {
    const js = await web.request('/assets/app.js');
    expect(js.status).toBe(200);
    expect(js.headers.get('content-type')).toBe('text/javascript; charset=utf-8');
    expect(await js.text()).toContain('connectEvents');
    const css = await web.request('/assets/app.css');
    expect(css.status).toBe(200);
    expect(css.headers.get('content-type')).toBe('text/css; charset=utf-8');
    expect(await css.text()).toContain('@media (max-width');
  });

  it('serve uPlot (the charts) from this server, and nothing else of its package', async () => {
    const js = await web.request('/assets/vendor/uPlot.esm.js');
    expect(js.status).toBe(200);
    expect(js.headers.get('content-type')).toBe('text/javascript; charset=utf-8');
    expect(await js.text()).toContain('export { uPlot as default }');
    const css = await web.request('/assets/vendor/uPlot.min.css');
    expect(css.status).toBe(200);
    expect(css.headers.get('content-security-policy')).toContain("default-src 'none'");
    for (const path of ['/assets/vendor/package.json', '/assets/vendor/uPlot.cjs.js']) {
      expect((await web.request(path)).status, path).toBe(404);
    }
  });

  it('answer 304 when the browser already holds the current version', async () => {
    const first = await web.request('/assets/app.js');
    const etag = first.headers.get('etag');
    expect(etag).toMatch(/^"[\w-]+"$/);
    const again = await web.request('/assets/app.js', { headers: { 'If-None-Match': etag ?? '' } });
    expect(again.status).toBe(304);
    expect(await again.text()).toBe('');
  });

  it('answer 404 with a JSON error for any other asset name or a path leaving the asset folder', async () => {
    for (const name of ['nope.js', '..%2Fweb-routes.ts', '..%2F..%2Fpackage.json']) {
      const response = await web.request(`/assets/${name}`);
      expect(response.status, name).toBe(404);
      expect(await response.json()).toMatchObject({ error: { code: 'NOT_FOUND' } });
    }
  });

  it('serve every file the page and its scripts refer to', async () => {
    const html = await (await web.request('/')).text();
    const referenced = new Set(
      [...html.matchAll(/(?:src|href)="assets\/([^"]+)"/g)].map((m) => m[1]),
    );
    for (const body of files.values()) {
      for (const m of body.matchAll(/^import [^;]+ from '\.\/([^']+)';$/gm)) referenced.add(m[1]);
    }
    expect([...referenced].sort()).toEqual(
      expect.arrayContaining(['app.css', 'app.js', 'favicon.svg', 'jobs.js', 'messages.js']),
    );
    for (const name of referenced) {
      const response = await web.request(`/assets/${name}`);
      expect(response.status, `assets/${name}`).toBe(200);
    }
  });

  it('load nothing from another origin: every URL in the page and its scripts is relative', () => {
    for (const [name, text] of files) {
      // An XML namespace is a name, not something fetched.
      const body = text.replaceAll(/xmlns="[^"]*"/g, '');
      expect(body, name).not.toMatch(/(?:https?:)?\/\/[a-z0-9.-]+\.[a-z]{2,}/i);
    }
  });
});
