// WebSocket fan-out under load: many clients connected to /v1/events (in a child process,
// ws-clients.mjs), messages posted at a steady rate; whether every client received every event,
// and publish → delivery latency of message.received on sampled clients.

import { fork } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { Agent, request } from 'node:http';
import { fileURLToPath } from 'node:url';
import { percentile } from './table.mjs';

const CLIENTS = fileURLToPath(new URL('./ws-clients.mjs', import.meta.url));
// Epoch milliseconds: compared across processes.
const now = () => Date.now();

function ask(child, command, answer) {
  const reply = new Promise((resolve) => {
    const onMessage = (message) => {
      if (message.type !== answer) return;
      child.off('message', onMessage);
      resolve(message);
    };
    child.on('message', onMessage);
    child.send(command);
  });
  return Promise.race([reply, child.failed]);
}

function post(agent, baseUrl, body) {
  return new Promise((resolve) => {
    const req = request(
      `${baseUrl}/v1/messages`,
      { method: 'POST', agent, headers: { 'Content-Type': 'application/json' } },
      (res) => {
        res.resume();
        res.on('end', () => resolve(res.statusCode));
      },
    );
    req.on('error', () => resolve(0));
    req.end(body);
  });
}

/**
 * Connects `clients` WebSocket clients, posts messages at `ratePerSecond` for `seconds`, waits
 * (up to 20 s) for the sampled clients to have every event, and reports.
 */
export async function measureFanOut(baseUrl, { clients, ratePerSecond, seconds }) {
  const child = fork(CLIENTS, [], { stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
  child.failed = new Promise((_, reject) =>
    child.once('exit', (code) => reject(new Error(`the WebSocket clients exited with ${code}`))),
  );
  child.failed.catch(() => {});
  try {
    const url = `${baseUrl.replace(/^http/, 'ws')}/v1/events`;
    const { opened } = await ask(child, { type: 'open', count: clients, url }, 'open');
    const before = (await ask(child, { type: 'report' }, 'report')).frames;
    const runId = randomUUID();
    const agent = new Agent({ keepAlive: true, maxSockets: 64 });
    const count = Math.max(1, Math.round(ratePerSecond * seconds));
    const sentAt = [];
    const posts = [];
    const begin = performance.now();
    for (let seq = 0; seq < count; seq += 1) {
      const wait = begin + (seq * 1000) / ratePerSecond - performance.now();
      if (wait > 1) await new Promise((resolve) => setTimeout(resolve, wait));
      sentAt[seq] = now();
      posts.push(post(agent, baseUrl, JSON.stringify({ probe: runId, seq })));
    }
    const statuses = await Promise.all(posts);
    agent.destroy();
    const accepted = statuses.filter((status) => status === 202).length;
    const refused = statuses.filter((status) => status === 503).length;
    // Every accepted message gives two events (received, consumed) to every client.
    const expected = 2 * accepted;
    let report;
    const deadline = Date.now() + 20_000;
    for (;;) {
      report = await ask(child, { type: 'report' }, 'report');
      const done = report.frames.every((n, i) => n - (before[i] ?? 0) >= expected);
      if (done || Date.now() > deadline) break;
      await new Promise((resolve) => setTimeout(resolve, 500));
    }
    const deltas = report.frames.map((n, i) => n - (before[i] ?? 0));
    const latencies = [];
    for (const seen of Object.values(report.arrivals)) {
      for (let seq = 0; seq < count; seq += 1) {
        const at = seen[`message.received ${seq}`];
        if (at !== undefined) latencies.push(at - sentAt[seq]);
      }
    }
    return {
      clients: opened,
      sent: count,
      accepted,
      refused,
      failed: count - accepted - refused,
      ratePerSecond,
      complete: deltas.filter((n) => n >= expected).length,
      closed: report.closed,
      minFrames: Math.min(...deltas),
      expected,
      p50: percentile(latencies, 50),
      p99: percentile(latencies, 99),
      samples: latencies.length,
    };
  } finally {
    if (child.exitCode === null) {
      child.send({ type: 'close' });
      await child.failed.catch(() => {});
    }
  }
}
