#!/usr/bin/env node
// The reference of the message bench: a bare Hono route on the same server stack as playtally's
// API (@hono/node-server, Hono) that parses the JSON body and does one SQLite insert (better-sqlite3,
// WAL, synchronous = NORMAL, as the embedded default opens its file). No validation, outbox,
// broker, consumer or events: the ceiling of "take a JSON message and store it" on this machine.
//   node scripts/bench-service/reference-server.mjs <port> <sqlite file>
// Prints `listening` once it accepts connections.

import { randomUUID } from 'node:crypto';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { ROOT } from './inputs.mjs';

// Hono is a dependency of @playtally/http, better-sqlite3 of @playtally/store-sql: use theirs.
const fromHttp = createRequire(join(ROOT, 'packages/http/package.json'));
const fromStore = createRequire(join(ROOT, 'packages/store-sql/package.json'));
const { Hono } = await import(fromHttp.resolve('hono'));
const { serve } = await import(fromHttp.resolve('@hono/node-server'));
const Sqlite = fromStore('better-sqlite3');

const [port, filename] = process.argv.slice(2);
const db = new Sqlite(filename);
db.pragma('journal_mode = WAL');
db.pragma('synchronous = NORMAL');
db.exec(
  'CREATE TABLE IF NOT EXISTS messages (id TEXT PRIMARY KEY, data TEXT NOT NULL, received_at TEXT NOT NULL)',
);
const insert = db.prepare('INSERT INTO messages (id, data, received_at) VALUES (?, ?, ?)');

const app = new Hono();
app.post('/v1/messages', async (c) => {
  const data = await c.req.json();
  const message = { id: randomUUID(), data, receivedAt: new Date().toISOString() };
  insert.run(message.id, JSON.stringify(data), message.receivedAt);
  return c.json(message, 202);
});
app.get('/healthz', (c) => c.json({ status: 'ok' }));

const server = serve({ fetch: app.fetch, port: Number(port), hostname: '127.0.0.1' }, () => {
  console.log('listening');
});
process.on('SIGTERM', () => {
  server.close();
  db.close();
  process.exit(0);
});
