#!/usr/bin/env node
// `pnpm start`, `pnpm start:api`, `pnpm start:worker`: builds what is missing or stale (in
// seconds, JavaScript only, one process at a time), then runs the example server in this same
// process, so Ctrl-C reaches one program that shuts down cleanly and exits 0.
//   node scripts/start.mjs [all|api|worker]
import { fileURLToPath, pathToFileURL } from 'node:url';
import { ensureBuilt } from './start/ensure-built.mjs';

const root = fileURLToPath(new URL('..', import.meta.url));
const log = (line) => process.stderr.write(`start: ${line}\n`);

try {
  await ensureBuilt({ root, target: '@playtally/example-server', log });
} catch (error) {
  log(`the build failed: ${error instanceof Error ? error.message : String(error)}`);
  log('run `pnpm build` to see every error');
  process.exit(1);
}
// Relative paths (./data) are meant from where the person typed the command; pnpm runs root
// scripts in the repository root and passes that directory as INIT_CWD.
if (process.env.INIT_CWD) process.chdir(process.env.INIT_CWD);
log(`starting the server (${process.argv[2] ?? 'all'})`);
await import(pathToFileURL(`${root}examples/server/dist/main.js`).href);
