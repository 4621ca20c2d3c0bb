// The message bench's reference process (reference-server.mjs), the database counts afterwards
// and the RSS of a server process.

import { spawn } from 'node:child_process';
import { readFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { ROOT } from './inputs.mjs';
import { freePort } from './system.mjs';

const SERVER = fileURLToPath(new URL('./reference-server.mjs', import.meta.url));

/** Starts the reference server on a free loopback port; resolves once it listens. */
export async function startReference(filename) {
  const port = await freePort();
  const child = spawn(process.execPath, [SERVER, String(port), filename], {
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  const exited = new Promise((resolve) => child.once('exit', resolve));
  await new Promise((resolve, reject) => {
    child.stdout.on('data', (chunk) => {
      if (String(chunk).includes('listening')) resolve();
    });
    child.once('exit', (code) => reject(new Error(`the reference server exited with ${code}`)));
  });
  return {
    baseUrl: `http://127.0.0.1:${port}`,
    pid: child.pid,
    async stop() {
      if (child.exitCode !== null || child.signalCode !== null) return;
      child.kill('SIGTERM');
      await exited;
    },
  };
}

/** The resident set size of a process now (VmRSS, Linux), in bytes; NaN elsewhere. */
export async function rssBytes(pid) {
  try {
    const status = await readFile(`/proc/${pid}/status`, 'utf8');
    const kib = /^VmRSS:\s+(\d+) kB$/m.exec(status)?.[1];
    return kib === undefined ? Number.NaN : Number(kib) * 1024;
  } catch {
    return Number.NaN;
  }
}

const Sqlite = createRequire(join(ROOT, 'packages/store-sql/package.json'))('better-sqlite3');

/**
 * Counts the load's messages (the body autocannon posts) in a playtally SQLite file: how many
 * are stored, and how many of them the consumer marked consumed.
 */
export function countLoadMessages(filename) {
  const db = new Sqlite(filename, { readonly: true, fileMustExist: true });
  try {
    const row = db
      .prepare(
        `SELECT count(*) AS stored, coalesce(sum(status = 'consumed'), 0) AS consumed
           FROM messages WHERE json_extract(data, '$.bench') = 'load'`,
      )
      .get();
    return { stored: Number(row.stored), consumed: Number(row.consumed) };
  } finally {
    db.close();
  }
}

/** Polls {@link countLoadMessages} until every stored message is consumed, or `timeoutMs`. */
export async function waitConsumed(filename, timeoutMs = 60_000) {
  const deadline = Date.now() + timeoutMs;
  let counts = countLoadMessages(filename);
  while (counts.consumed < counts.stored && Date.now() < deadline) {
    await new Promise((resolve) => setTimeout(resolve, 500));
    counts = countLoadMessages(filename);
  }
  return counts;
}
