// `pnpm bench:service --split`: one large CSV through RabbitMQ + PostgreSQL, split into parts,
// with one worker process against two (concurrency 1 each), upload → result, against the CLI
// on the same file with one thread. Each system gets its own PostgreSQL schema.

import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { join } from 'node:path';
import { startSystem } from './system.mjs';

const POSTGRES_URL = process.env.TEST_POSTGRES_URL ?? 'postgres://postgres@127.0.0.1:5432/test';

function psql(sql) {
  return new Promise((resolve, reject) => {
    const child = spawn('psql', [POSTGRES_URL, '-q', '-c', sql], { stdio: 'ignore' });
    child.on('error', reject);
    child.on('exit', (code) => (code === 0 ? resolve() : reject(new Error(`psql: ${sql}`))));
  });
}

/** A PostgreSQL schema of its own: its DATABASE_URL and its removal. */
export async function benchSchema() {
  const schema = `playtally_bench_${randomBytes(5).toString('hex')}`;
  await psql(`create schema ${schema}`);
  const options = encodeURIComponent(`-c search_path=${schema}`);
  return {
    url: `${POSTGRES_URL}${POSTGRES_URL.includes('?') ? '&' : '?'}options=${options}`,
    drop: () => psql(`drop schema if exists ${schema} cascade`),
  };
}

/**
 * Starts the split-jobs systems: API + `workers` worker processes on RabbitMQ and PostgreSQL,
 * SPLIT_BYTES as given (default: the server's 128 MiB).
 */
export async function startSplitSystem({ work, amqpUrl, workers, splitBytes, removals }) {
  const schema = await benchSchema();
  removals.push(() => schema.drop());
  return startSystem({
    work,
    mode: 'split',
    name: `split-${workers}w`,
    transportUrl: amqpUrl,
    workers,
    env: {
      DATABASE_URL: schema.url,
      WORKER_CONCURRENCY: '1',
      TOPIC_PREFIX: `bench-split-${workers}w`,
      ...(splitBytes === undefined ? {} : { SPLIT_BYTES: String(splitBytes) }),
    },
  });
}

export const splitSystemsDir = (work) => join(work, 'split');
