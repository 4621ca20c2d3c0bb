import type { AddressInfo, Socket } from 'node:net';
import { type ServerType, serve } from '@hono/node-server';
import { afterEach, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { createHarness, type EventBody, type Harness } from './harness.js';

let harness: Harness | undefined;
let server: ServerType | undefined;
const sockets: WebSocket[] = [];

afterEach(async () => {
  for (const socket of sockets.splice(0)) socket.terminate();
  if (server) await new Promise((resolve) => server?.close(resolve));
  server = undefined;
  await harness?.close();
  harness = undefined;
});

async function listen(h: Harness): Promise<string> {
  const started = serve({ fetch: h.api.app.fetch, port: 0, hostname: '127.0.0.1' });
  h.api.injectWebSocket(started);
  server = started;
  await new Promise<void>((resolve) => started.once('listening', () => resolve()));
  return `127.0.0.1:${(started.address() as AddressInfo).port}`;
}

async function open(url: string): Promise<WebSocket> {
  const socket = new WebSocket(url);
  sockets.push(socket);
  await new Promise((resolve, reject) => {
    socket.once('open', resolve);
    socket.once('error', reject);
  });
  return socket;
}

/** The `playtally_websocket_clients` gauge of `/metrics`. */
async function connectedClients(h: Harness): Promise<number> {
  const text = await (await h.request('/metrics')).text();
  const line = /^playtally_websocket_clients (\d+)$/m.exec(text);
  if (!line) throw new Error(`no playtally_websocket_clients in /metrics:\n${text}`);
  return Number(line[1]);
}

describe('GET /v1/events with a client that stops reading', () => {
  it('disconnects that client once its unread events pass the cap, and keeps serving the others', async () => {
    harness = await createHarness({ maxEventBufferedBytes: 64 * 1024 });
    const h = harness;
    const host = await listen(h);
    const slow = await open(`ws://${host}/v1/events?types=message.received`);
    const fast = await open(`ws://${host}/v1/events?types=message.received`);
    const seen = new Set<number>();
    fast.on('message', (raw) => {
      const event = JSON.parse(String(raw)) as EventBody;
      const data = event.data.message?.data as { n?: number } | undefined;
      if (data?.n !== undefined) seen.add(data.n);
    });
    const slowClosed = new Promise<number>((resolve) => slow.once('close', resolve));
    // The slow client stops reading its socket: what the server sends piles up, first in the
    // kernel's buffers, then in the server's.
    (slow as unknown as { _socket: Socket })._socket.pause();
    expect(await connectedClients(h)).toBe(2);

    const pad = 'x'.repeat(30_000);
    let posted = 0;
    while ((await connectedClients(h)) === 2) {
      if (posted >= 5000) throw new Error('the slow client was never disconnected');
      for (let i = 0; i < 10; i += 1, posted += 1) {
        const response = await h.request('/v1/messages', {
          method: 'POST',
          headers: { 'content-type': 'application/json' },
          body: JSON.stringify({ n: posted, pad }),
        });
        expect(response.status).toBe(202);
      }
      await new Promise((resolve) => setTimeout(resolve, 10));
    }
    expect(await connectedClients(h)).toBe(1);

    // The fast client goes on receiving every event.
    const last = posted;
    await h.request('/v1/messages', {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ n: last, pad }),
    });
    const deadline = Date.now() + 15_000;
    while (!seen.has(last) && Date.now() < deadline) {
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
    expect(seen.size).toBe(last + 1);

    // Reading again, the slow client finds its connection cut (no close frame: 1006).
    (slow as unknown as { _socket: Socket })._socket.resume();
    expect(await slowClosed).toBe(1006);
  });
});
