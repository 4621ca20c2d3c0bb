// The bench's inputs: the built system and the large CSV (shared with the engine bench's cache).

import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdir, readdir, rename, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

/** The workspace root. */
export const ROOT = fileURLToPath(new URL('../../', import.meta.url));
export const CACHE = join(ROOT, '.bench-cache');
export const SERVER_MAIN = join(ROOT, 'examples/server/dist/main.js');

/** Runs a command with inherited output; rejects on a non-zero exit. */
export function run(command, args, options = {}) {
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, { stdio: 'inherit', cwd: ROOT, ...options });
    child.on('error', reject);
    child.on('exit', (code) =>
      code === 0
        ? resolve()
        : reject(new Error(`${command} ${args.join(' ')} exited with ${code}`)),
    );
  });
}

/**
 * Checks that the packages are built (`pnpm build`) and builds the example server, which the
 * root build leaves out, when its dist is missing.
 */
export async function ensureBuilt() {
  const needed = [
    'packages/core/dist/index.js',
    'packages/transport/dist/index.js',
    'packages/service/dist/index.js',
    'packages/http/dist/index.js',
    'packages/store-sql/dist/index.js',
    'packages/blob-s3/dist/index.js',
  ];
  const missing = needed.filter((file) => !existsSync(join(ROOT, file)));
  if (missing.length > 0) {
    throw new Error(`run \`pnpm build\` first (missing: ${missing.join(', ')})`);
  }
  if (!existsSync(SERVER_MAIN)) {
    console.log('building examples/server …');
    await run('pnpm', ['--filter', '@playtally/example-server', 'build']);
  }
}

/**
 * A low-cardinality CSV of `rows` rows: one the engine bench already cached when its name says
 * so (rows and "low"), else one generated here with the CLI (1000 songs × 30 days, seed 1).
 * @param {number} rows
 */
export async function findBenchFile(rows) {
  await mkdir(CACHE, { recursive: true });
  const names = await readdir(CACHE);
  const tags = [String(rows), rows % 1_000_000 === 0 ? `${rows / 1_000_000}m` : null].filter(
    Boolean,
  );
  const cached = names.find(
    (name) =>
      name.endsWith('.csv') &&
      /low/i.test(name) &&
      tags.some((tag) => new RegExp(`(^|[^0-9])${tag}([^0-9]|$)`, 'i').test(name)),
  );
  if (cached) return join(CACHE, cached);
  const target = join(CACHE, `service-low-${rows}.csv`);
  if (existsSync(target) && (await stat(target)).size > 0) return target;
  console.log(`generating ${target} …`);
  const partial = `${target}.partial`;
  await run(process.execPath, [
    join(ROOT, 'packages/core/bin/playtally.js'),
    'generate',
    '--rows',
    String(rows),
    '--songs',
    '1000',
    '--days',
    '30',
    '--seed',
    '1',
    '-o',
    partial,
  ]);
  await rename(partial, target);
  return target;
}
