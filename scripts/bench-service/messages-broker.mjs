// `pnpm bench:service` (b'): POST /v1/messages on RabbitMQ + PostgreSQL, with the API and a worker
// (which runs the message consumer) as separate processes; the load's messages counted stored and
// consumed in PostgreSQL afterwards.

import { spawn } from 'node:child_process';
import { runAutocannon } from './messages.mjs';
import { benchSchema } from './split-scaling.mjs';
import { startSystem } from './system.mjs';

/** Counts the load's messages (stored, consumed) in the schema behind `url`, with psql. */
function countLoadMessages(url) {
  const sql = `select count(*), count(*) filter (where status = 'consumed') from messages where data::jsonb->>'bench' = 'load'`;
  return new Promise((resolve, reject) => {
    const child = spawn('psql', [url, '-t', '-A', '-F', ' ', '-c', sql]);
    let out = '';
    child.stdout.on('data', (chunk) => {
      out += chunk;
    });
    child.on('error', reject);
    child.on('exit', (code) => {
      const [stored, consumed] = out.trim().split(' ').map(Number);
      if (code !== 0 || !Number.isInteger(stored))
        reject(new Error(`psql could not count: ${out}`));
      else resolve({ stored, consumed });
    });
  });
}

/**
 * Runs autocannon on a RabbitMQ + PostgreSQL system (API and one worker process, a schema of
 * its own), then waits up to a minute for the consumer and counts. `running` and `removals`
 * are the bench's cleanup lists.
 */
export async function measureBrokerMessages({
  work,
  amqpUrl,
  duration,
  connections,
  running,
  removals,
}) {
  const schema = await benchSchema();
  removals.push(() => schema.drop());
  const system = await startSystem({
    work,
    mode: 'split',
    name: 'messages-amqp-pg',
    transportUrl: amqpUrl,
    workers: 1,
    env: { DATABASE_URL: schema.url, TOPIC_PREFIX: 'bench-messages-amqp' },
  });
  running.push(system);
  try {
    const load = await runAutocannon(`${system.baseUrl}/v1/messages`, { duration, connections });
    const deadline = Date.now() + 60_000;
    let counts = await countLoadMessages(schema.url);
    while (counts.consumed < counts.stored && Date.now() < deadline) {
      await new Promise((resolve) => setTimeout(resolve, 500));
      counts = await countLoadMessages(schema.url);
    }
    return { load, counts };
  } finally {
    running.splice(running.indexOf(system), 1);
    await system.stop();
  }
}
