import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';

/** One file of the web page, held in memory (the whole page is a few dozen KiB). */
export interface WebAsset {
  readonly body: string;
  readonly contentType: string;
  /** Strong validator: a hash of the body. */
  readonly etag: string;
}

/** The page's files: what `/assets/<name>` may serve, and nothing else. */
export interface WebAssets {
  /** The page itself, served at `/`. */
  readonly index: WebAsset;
  /** The files under `/assets/`, by name. */
  readonly files: ReadonlyMap<string, WebAsset>;
}

const JS = 'text/javascript; charset=utf-8';
const CONTENT_TYPES: Readonly<Record<string, string>> = {
  'app.js': JS,
  'api.js': JS,
  'connection.js': JS,
  'dom.js': JS,
  'jobs.js': JS,
  'messages.js': JS,
  'upload.js': JS,
  'app.css': 'text/css; charset=utf-8',
  'favicon.svg': 'image/svg+xml',
};

/**
 * The assets directory sits next to this module both in the sources (`src/web/assets/`, beside
 * `src/web/assets.ts`) and in the build (`dist/assets/`, beside the bundled `dist/index.js`;
 * the tsup config copies it there), so one relative URL finds it in both.
 */
const ASSET_DIR = new URL('./assets/', import.meta.url);

function load(name: string, contentType: string): WebAsset {
  let body: string;
  try {
    body = readFileSync(new URL(name, ASSET_DIR), 'utf8');
  } catch (cause) {
    throw new Error(`@playtally/http: the web page asset ${name} is missing from ${ASSET_DIR}`, {
      cause,
    });
  }
  const hash = createHash('sha256').update(body).digest('base64url').slice(0, 22);
  return { body, contentType, etag: `"${hash}"` };
}

let cached: WebAssets | undefined;

/**
 * Reads the page's files once (on first use) and keeps them in memory. Only the fixed names
 * above are ever read, so no request can name a path on disk.
 */
export function loadWebAssets(): WebAssets {
  cached ??= {
    index: load('index.html', 'text/html; charset=utf-8'),
    files: new Map(Object.entries(CONTENT_TYPES).map(([name, type]) => [name, load(name, type)])),
  };
  return cached;
}
