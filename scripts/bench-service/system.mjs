// Starts the example server (examples/server, built) as child processes on a free loopback port.

import { spawn } from 'node:child_process';
import { mkdir, readFile } from 'node:fs/promises';
import { connect, createServer } from 'node:net';
import { join } from 'node:path';
import { ROOT, SERVER_MAIN } from './inputs.mjs';

/** Resolves true when host:port accepts a TCP connection within a second. */
export function tcpOpen(host, port) {
  return new Promise((resolve) => {
    const socket = connect({ host, port });
    const timer = setTimeout(() => {
      socket.destroy();
      resolve(false);
    }, 1000);
    socket.once('connect', () => {
      clearTimeout(timer);
      socket.end();
      resolve(true);
    });
    socket.once('error', () => {
      clearTimeout(timer);
      resolve(false);
    });
  });
}

export function freePort() {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address();
      server.close(() => resolve(port));
    });
  });
}

function startProcess(role, env, label) {
  const child = spawn(process.execPath, [SERVER_MAIN, role], {
    cwd: join(ROOT, 'examples/server'),
    env: { ...process.env, ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  // The last lines of both streams, for start-up failures; and whether it logged that it is ready.
  let stderr = '';
  let ready = false;
  const keep = (chunk) => {
    stderr = (stderr + chunk).slice(-4000);
    ready ||= stderr.includes('"msg":"playtally ready"');
  };
  child.stdout.on('data', keep);
  child.stderr.on('data', keep);
  const exited = new Promise((resolve) => child.once('exit', resolve));
  return {
    child,
    label,
    exited,
    stderr: () => stderr,
    ready: () => ready,
    /** The most memory the process has held so far (VmHWM, Linux), in bytes; NaN elsewhere. */
    async peakRssBytes() {
      try {
        const status = await readFile(`/proc/${child.pid}/status`, 'utf8');
        const kib = /^VmHWM:\s+(\d+) kB$/m.exec(status)?.[1];
        return kib === undefined ? Number.NaN : Number(kib) * 1024;
      } catch {
        return Number.NaN;
      }
    },
    async stop() {
      if (child.exitCode !== null || child.signalCode !== null) return;
      child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), 10_000);
      await exited;
      clearTimeout(timer);
    },
  };
}

/** Waits until every process logged `playtally ready` and the API answers `/readyz`. */
async function waitReady(baseUrl, processes, timeoutMs = 60_000) {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    for (const p of processes) {
      if (p.child.exitCode !== null) {
        throw new Error(
          `${p.label} exited with ${p.child.exitCode} while starting:\n${p.stderr()}`,
        );
      }
    }
    if (processes.every((p) => p.ready())) {
      try {
        const response = await fetch(`${baseUrl}/readyz`);
        if (response.ok) return;
      } catch {
        // not listening yet
      }
    }
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
  throw new Error(`the server at ${baseUrl} was not ready within ${timeoutMs} ms`);
}

/**
 * Starts the system: `mode: 'all'` runs API and worker in one process (the embedded default
 * unless `transportUrl` says otherwise); `mode: 'split'` runs them as two processes sharing a
 * database file and blob directory, or the bucket of `env.STORAGE_URL`; `workers` worker
 * processes in split mode (default 1).
 * @param {{ work: string, mode: 'all' | 'split', name?: string, transportUrl?: string, env?: Record<string, string>, workers?: number }} options
 */
export async function startSystem(options) {
  const name = options.name ?? options.mode;
  const port = await freePort();
  const dataDir = join(options.work, name);
  await mkdir(dataDir, { recursive: true });
  const env = {
    PORT: String(port),
    HOST: '127.0.0.1',
    TRANSPORT_URL: options.transportUrl ?? 'memory://',
    // Own topic names on a shared broker, stable across runs so queues are reused, not piled up.
    TOPIC_PREFIX: 'bench-service',
    DATABASE_URL: `sqlite:${join(dataDir, 'playtally.db')}`,
    STORAGE_DIR: join(dataDir, 'blobs'),
    // info: the start-up's `playtally ready` line (a few lines per job besides).
    LOG_LEVEL: 'info',
    // Large inputs: the default upload limit may be below the bench file's size.
    MAX_UPLOAD_BYTES: String(8 * 1024 ** 3),
    ...options.env,
  };
  // A STORAGE_URL of the caller replaces the directory.
  if (env.STORAGE_URL) delete env.STORAGE_DIR;
  const baseUrl = `http://127.0.0.1:${port}`;
  const processes = [];
  const stop = async () => {
    await Promise.all(processes.map((p) => p.stop()));
  };
  // One after the other: the API creates the SQLite file's tables before the worker opens it
  // (two processes migrating one new file at once race).
  const roles =
    options.mode === 'all'
      ? [['all', 'server']]
      : [
          ['api', 'api'],
          ...Array.from({ length: options.workers ?? 1 }, (_, i) => [
            'worker',
            i === 0 ? 'worker' : `worker ${i + 1}`,
          ]),
        ];
  try {
    for (const [role, label] of roles) {
      processes.push(startProcess(role, env, `${name} ${label}`));
      await waitReady(baseUrl, processes);
    }
  } catch (error) {
    await stop();
    throw error;
  }
  return { baseUrl, stop, processes, databaseFile: join(dataDir, 'playtally.db') };
}
