#!/usr/bin/env node
// `pnpm playtally …` in this repository: builds the CLI first when it is missing or stale, then
// runs it from the directory the command was typed in (pnpm runs root scripts in the
// repository root and passes that directory as INIT_CWD), so `pnpm playtally aggregate
// ../plays.csv` in a subfolder reads the file a person means.
import { fileURLToPath, pathToFileURL } from 'node:url';
import { ensureBuilt } from './start/ensure-built.mjs';

const root = fileURLToPath(new URL('..', import.meta.url));
try {
  await ensureBuilt({
    root,
    target: '@playtally/core',
    // Quiet when nothing was built: the CLI's own output is what the person asked for.
    log: (line) => {
      if (line.startsWith('built ')) process.stderr.write(`playtally: ${line}\n`);
    },
  });
} catch (error) {
  process.stderr.write(
    `playtally: building the CLI failed: ${error instanceof Error ? error.message : String(error)}\n`,
  );
  process.exit(3);
}
if (process.env.INIT_CWD) process.chdir(process.env.INIT_CWD);
await import(pathToFileURL(`${root}packages/core/dist/cli/main.js`).href);
