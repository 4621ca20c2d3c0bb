// The JSON message path under load: autocannon for throughput, a WebSocket probe for delivery.

import { spawn } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { Agent, request } from 'node:http';
import { join } from 'node:path';
import WebSocket from 'ws';
import { ROOT } from './inputs.mjs';
import { percentile } from './table.mjs';

const AUTOCANNON = join(ROOT, 'node_modules/autocannon/autocannon.js');

/** The body autocannon posts: a small JSON message the counts find again in the database. */
export const LOAD_BODY = JSON.stringify({
  bench: 'load',
  text: 'a message of a typical small size',
});

/**
 * Runs autocannon (in its own process, so it does not share an event loop with the probe or the
 * server) against `url` on loopback: POST of {@link LOAD_BODY} unless `method` is `GET`.
 */
export function runAutocannon(url, { duration, connections, method = 'POST' }) {
  const request =
    method === 'POST'
      ? ['-m', 'POST', '-H', 'content-type=application/json', '-b', LOAD_BODY]
      : ['-m', method];
  return new Promise((resolve, reject) => {
    const child = spawn(
      process.execPath,
      [
        AUTOCANNON,
        '--json',
        '--no-progress',
        '-c',
        String(connections),
        '-d',
        String(duration),
        ...request,
        url,
      ],
      { stdio: ['ignore', 'pipe', 'pipe'] },
    );
    let out = '';
    let err = '';
    child.stdout.on('data', (chunk) => {
      out += chunk;
    });
    child.stderr.on('data', (chunk) => {
      err += chunk;
    });
    child.on('error', reject);
    child.on('exit', (code) => {
      if (code !== 0) return reject(new Error(`autocannon exited with ${code}: ${err}`));
      const result = JSON.parse(out);
      resolve({
        requestsPerSecond: result.requests.average,
        p50: result.latency.p50,
        p99: result.latency.p99,
        total: result.requests.total,
        ok: result['2xx'],
        rejected: result.statusCodeStats?.['503']?.count ?? 0,
        errors: result.errors + result.timeouts + result.non2xx,
      });
    });
  });
}

function post(agent, baseUrl, body) {
  return new Promise((resolve, reject) => {
    const req = request(
      `${baseUrl}/v1/messages`,
      { method: 'POST', agent, headers: { 'Content-Type': 'application/json' } },
      (res) => {
        res.resume();
        res.on('end', () =>
          res.statusCode === 202 ? resolve() : reject(new Error(`POST answered ${res.statusCode}`)),
        );
      },
    );
    req.on('error', reject);
    req.end(body);
  });
}

/** Finds the probe's payload in a message.* event, whatever envelope the data uses. */
function probeOf(event) {
  const data = event.data ?? {};
  return data.data ?? data.message?.data ?? data;
}

/**
 * Posts `count` messages at `ratePerSecond` and measures, for each, the time from starting the
 * POST to its message.received event arriving on a WebSocket client.
 */
export async function measureDelivery(baseUrl, { count, ratePerSecond, startDelayMs = 0 }) {
  const runId = randomUUID();
  const ws = new WebSocket(`${baseUrl.replace(/^http/, 'ws')}/v1/events`);
  await new Promise((resolve, reject) => {
    ws.once('open', resolve);
    ws.once('error', reject);
  });
  const sentAt = new Map();
  const latencies = [];
  let allDelivered;
  const delivered = new Promise((resolve) => {
    allDelivered = resolve;
  });
  ws.on('message', (raw) => {
    const now = performance.now();
    const event = JSON.parse(String(raw));
    if (event.type !== 'message.received') return;
    const probe = probeOf(event);
    if (probe?.probe !== runId) return;
    const started = sentAt.get(probe.seq);
    if (started === undefined) return;
    sentAt.delete(probe.seq);
    latencies.push(now - started);
    if (latencies.length === count) allDelivered();
  });
  const agent = new Agent({ keepAlive: true, maxSockets: 8 });
  await new Promise((resolve) => setTimeout(resolve, startDelayMs));
  const interval = 1000 / ratePerSecond;
  const begin = performance.now();
  const posts = [];
  for (let seq = 0; seq < count; seq += 1) {
    const due = begin + seq * interval;
    const wait = due - performance.now();
    if (wait > 0) await new Promise((resolve) => setTimeout(resolve, wait));
    sentAt.set(seq, performance.now());
    posts.push(post(agent, baseUrl, JSON.stringify({ probe: runId, seq })));
  }
  await Promise.all(posts);
  await Promise.race([delivered, new Promise((resolve) => setTimeout(resolve, 10_000))]);
  ws.close();
  agent.destroy();
  return {
    sent: count,
    delivered: latencies.length,
    p50: percentile(latencies, 50),
    p99: percentile(latencies, 99),
    max: latencies.length ? Math.max(...latencies) : Number.NaN,
  };
}
