#!/usr/bin/env node
// Child process of the fan-out bench: holds many WebSocket clients on /v1/events, each counting
// the frames it receives; a few sampled clients (first, middle, last to connect) also note when
// each probe event arrived. Driven over IPC by bench-service/fan-out.mjs:
//   → { count, url }           opens the clients, answers { type: 'open', opened }
//   → { type: 'report', runId } answers { type: 'report', frames: number[], arrivals }
// Times are epoch milliseconds (Date.now()), compared with the parent's.

import WebSocket from 'ws';

const now = () => Date.now();
/** @type {WebSocket[]} */
const clients = [];
/** @type {number[]} */
const frames = [];
/** Per sampled client: `${type} ${seq}` → arrival time. */
const arrivals = new Map();

function openClient(url, index, sampled) {
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(url, { perMessageDeflate: false });
    frames[index] = 0;
    const seen = sampled ? new Map() : undefined;
    if (seen) arrivals.set(index, seen);
    ws.on('message', (raw) => {
      frames[index] += 1;
      if (!seen) return;
      const at = now();
      const event = JSON.parse(String(raw));
      const probe = event.data?.message?.data;
      if (probe?.seq !== undefined) seen.set(`${event.type} ${probe.seq}`, at);
    });
    ws.once('open', () => resolve(ws));
    ws.once('error', reject);
  });
}

process.on('message', async (command) => {
  if (command.type === 'open') {
    const sampled = new Set([0, Math.floor(command.count / 2), command.count - 1]);
    for (let i = 0; i < command.count; i += 50) {
      const batch = [];
      for (let j = i; j < Math.min(command.count, i + 50); j += 1) {
        batch.push(openClient(command.url, j, sampled.has(j)));
      }
      clients.push(...(await Promise.all(batch)));
    }
    process.send({ type: 'open', opened: clients.length });
  } else if (command.type === 'report') {
    const sample = {};
    for (const [index, seen] of arrivals) sample[index] = Object.fromEntries(seen);
    process.send({
      type: 'report',
      frames,
      closed: clients.filter((ws) => ws.readyState !== WebSocket.OPEN).length,
      arrivals: sample,
    });
  } else if (command.type === 'close') {
    for (const ws of clients) ws.terminate();
    process.exit(0);
  }
});
