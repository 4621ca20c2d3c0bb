import { execFile } from 'node:child_process';
import { chmod, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { freePort } from './free-port.js';

/** A PostgreSQL server of a test's own, in a temporary folder on a spare port. */
export interface OwnPostgres {
  /** `postgres://postgres@127.0.0.1:<port>/postgres` */
  readonly url: string;
  /** `pg_ctl restart -m fast`: connections and queries in flight are cut, as in the issue. */
  restart(): Promise<void>;
  /** `pg_ctl stop -m fast`: the server is away until {@link start}. */
  stop(): Promise<void>;
  start(): Promise<void>;
  /** Stops it for good and removes its data. */
  destroy(): Promise<void>;
}

const run = promisify(execFile);

async function pgBin(name: string): Promise<string> {
  const { stdout } = await run('bash', [
    '-c',
    'ls -d /usr/lib/postgresql/*/bin | sort -V | tail -1',
  ]);
  return join(stdout.trim(), name);
}

/** Runs a PostgreSQL tool as the `postgres` user (it refuses to run as root). */
async function asPostgres(tool: string, args: readonly string[]): Promise<void> {
  await run('runuser', ['-u', 'postgres', '--', await pgBin(tool), ...args], { timeout: 120_000 });
}

/**
 * `initdb` into a temporary folder and `pg_ctl start` on a spare port (trust auth, no fsync:
 * the test is about connections, not durability of the host), so the shared server on 5432 is
 * never disturbed.
 */
export async function startOwnPostgres(): Promise<OwnPostgres> {
  const base = await mkdtemp(join(tmpdir(), 'playtally-pg-'));
  await chmod(base, 0o777);
  const data = join(base, 'data');
  const port = await freePort();
  await asPostgres('initdb', ['-D', data, '-U', 'postgres', '--auth=trust', '-E', 'UTF8']);
  const options = `-p ${port} -k ${base} -c listen_addresses=127.0.0.1 -c fsync=off -c max_connections=60`;
  const pgCtl = (...args: string[]) =>
    asPostgres('pg_ctl', ['-D', data, '-l', join(base, 'log'), '-o', options, '-w', ...args]);
  await pgCtl('start');
  return {
    url: `postgres://postgres@127.0.0.1:${port}/postgres`,
    restart: () => pgCtl('restart', '-m', 'fast'),
    stop: () => pgCtl('stop', '-m', 'fast'),
    start: () => pgCtl('start'),
    async destroy() {
      await pgCtl('stop', '-m', 'immediate').catch(() => {});
      await rm(base, { recursive: true, force: true });
    },
  };
}
