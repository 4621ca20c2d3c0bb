import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type ServerProcess, startServerProcess } from '../server-process.js';

/** API and worker processes of one fault test, sharing a data folder. */
export interface FaultSystem {
  readonly dir: string;
  readonly env: Record<string, string>;
  api: ServerProcess | undefined;
  readonly workers: ServerProcess[];
  /** The current API's URL. */
  url(): string | undefined;
  startApi(port?: number): Promise<ServerProcess>;
  startWorker(env?: Record<string, string>): Promise<ServerProcess>;
  /** Every process still running (none died by itself). */
  alive(): boolean;
  /** Stops every process and removes the data folder. */
  close(): Promise<void>;
}

/** Settings that make the outbox, reconciler and leases react within a test's time. */
export const QUICK_SETTINGS: Record<string, string> = {
  LOG_LEVEL: 'info',
  OUTBOX_LEASE_MS: '5000',
  RECONCILE_AFTER_MS: '4000',
  RECONCILE_INTERVAL_MS: '1000',
  JOB_LEASE_MS: '3000',
  SHUTDOWN_TIMEOUT_MS: '2000',
};

/** Starts nothing yet: `startApi` and `startWorker` start processes on `env`. */
export async function createFaultSystem(env: Record<string, string>): Promise<FaultSystem> {
  const dir = await mkdtemp(join(tmpdir(), 'playtally-fault-'));
  const full: Record<string, string> = {
    DATABASE_URL: `sqlite:${join(dir, 'playtally.db')}`,
    STORAGE_DIR: join(dir, 'blobs'),
    TEMP_DIR: join(dir, 'tmp'),
    TOPIC_PREFIX: `fault${process.pid}${Date.now().toString(36)}`,
    ...QUICK_SETTINGS,
    ...env,
  };
  const started: ServerProcess[] = [];
  const system: FaultSystem = {
    dir,
    env: full,
    api: undefined,
    workers: [],
    url: () => system.api?.url,
    async startApi(port) {
      const api = await startServerProcess('api', {
        cwd: dir,
        env: { ...full, ...(port === undefined ? {} : { PORT: String(port) }) },
      });
      started.push(api);
      system.api = api;
      return api;
    },
    async startWorker(extra = {}) {
      const worker = await startServerProcess('worker', { cwd: dir, env: { ...full, ...extra } });
      started.push(worker);
      system.workers.push(worker);
      return worker;
    },
    alive: () =>
      [system.api, ...system.workers].every(
        (p) => p === undefined || (p.child.exitCode === null && p.child.signalCode === null),
      ),
    async close() {
      await Promise.all(started.map((p) => p.stop('SIGKILL')));
      await rm(dir, { recursive: true, force: true });
    },
  };
  return system;
}

/** Log lines of `process` whose `msg` matches. */
export function logLines(process: ServerProcess, msg: string | RegExp) {
  return process.logs.filter((entry) =>
    typeof msg === 'string' ? entry.msg === msg : msg.test(String(entry.msg)),
  );
}
