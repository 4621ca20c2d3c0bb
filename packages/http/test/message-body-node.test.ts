import { Agent, request } from 'node:http';
import type { AddressInfo } from 'node:net';
import { type ServerType, serve } from '@hono/node-server';
import { afterEach, describe, expect, it } from 'vitest';
import { createHarness, type Harness } from './harness.js';

// POST /v1/messages on a real Node server, where the body is read from the Node request itself.

let harness: Harness | undefined;
let server: ServerType | undefined;
const agent = new Agent({ keepAlive: true, maxSockets: 1 });

afterEach(async () => {
  if (server) await new Promise((resolve) => server?.close(resolve));
  server = undefined;
  await harness?.close();
  harness = undefined;
});

async function listen(h: Harness): Promise<number> {
  const started = serve({ fetch: h.api.app.fetch, port: 0, hostname: '127.0.0.1' });
  server = started;
  await new Promise<void>((resolve) => started.once('listening', () => resolve()));
  return (started.address() as AddressInfo).port;
}

/** Posts `chunks` (chunked, without Content-Length) on the one keep-alive socket of `agent`. */
function postChunks(port: number, chunks: readonly string[]) {
  return new Promise<{ status: number; body: string; socket: unknown }>((resolve, reject) => {
    const req = request(
      {
        host: '127.0.0.1',
        port,
        path: '/v1/messages',
        method: 'POST',
        agent,
        headers: { 'content-type': 'application/json', 'transfer-encoding': 'chunked' },
      },
      (res) => {
        let body = '';
        res.setEncoding('utf8');
        res.on('data', (chunk) => {
          body += chunk;
        });
        res.on('end', () => resolve({ status: res.statusCode ?? 0, body, socket: req.socket }));
      },
    );
    req.on('error', reject);
    for (const chunk of chunks) req.write(chunk);
    req.end();
  });
}

describe('POST /v1/messages on a Node server', () => {
  it('reads a body sent in chunks', async () => {
    harness = await createHarness({ maxMessageBytes: 1000 });
    const port = await listen(harness);
    const answer = await postChunks(port, ['{"hello":', '"wor', 'ld","n":[1,2]}']);
    expect(answer.status).toBe(202);
    expect(JSON.parse(answer.body)).toMatchObject({ data: { hello: 'world', n: [1, 2] } });
  });

  it('answers 413 once a chunked body passes the limit, and the connection stays usable', async () => {
    harness = await createHarness({ maxMessageBytes: 1000 });
    const port = await listen(harness);
    const tooBig = await postChunks(port, ['{"pad":"', 'x'.repeat(600), 'x'.repeat(600), '"}']);
    expect(tooBig.status).toBe(413);
    expect(JSON.parse(tooBig.body)).toMatchObject({
      error: { code: 'PAYLOAD_TOO_LARGE', details: { maxBytes: 1000 } },
    });
    const next = await postChunks(port, ['{"after":true}']);
    expect(next.status).toBe(202);
    expect(next.socket).toBe(tooBig.socket);
    const list = (await (await harness.request('/v1/messages')).json()) as { items: unknown[] };
    expect(list.items).toHaveLength(1);
  });
});
