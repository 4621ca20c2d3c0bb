import type { AddressInfo } from 'node:net';
import { type ServerType, serve } from '@hono/node-server';
import { TOPICS } from '@playtally/service';
import type { MemoryTransport } from '@playtally/transport';
import { afterEach, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import {
  CANONICAL_INPUT,
  createHarness,
  csvForm,
  type EventBody,
  type Harness,
} from './harness.js';

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

interface Received {
  readonly events: EventBody[];
  until(predicate: (event: EventBody) => boolean): Promise<EventBody>;
}

function connect(url: string, headers: Record<string, string> = {}): Promise<Received> {
  const socket = new WebSocket(url, { headers });
  sockets.push(socket);
  const events: EventBody[] = [];
  const waiters: (() => void)[] = [];
  socket.on('message', (data) => {
    events.push(JSON.parse(String(data)));
    for (const wake of waiters.splice(0)) wake();
  });
  const received: Received = {
    events,
    async until(predicate) {
      const deadline = Date.now() + 15_000;
      for (;;) {
        const found = events.find(predicate);
        if (found) return found;
        if (Date.now() > deadline) throw new Error(`no such event in ${JSON.stringify(events)}`);
        await new Promise<void>((resolve) => {
          waiters.push(resolve);
          setTimeout(resolve, 100);
        });
      }
    },
  };
  return new Promise((resolve, reject) => {
    socket.once('open', () => resolve(received));
    socket.once('unexpected-response', (_request, response) =>
      reject(new Error(`upgrade refused with ${response.statusCode}`)),
    );
    socket.once('error', reject);
  });
}

describe('GET /v1/events', () => {
  it('streams a job from job.queued to job.completed as CloudEvents JSON', async () => {
    harness = await createHarness();
    const host = await listen(harness);
    const live = await connect(`ws://${host}/v1/events`);
    const upload = await fetch(`http://${host}/v1/jobs`, {
      method: 'POST',
      body: csvForm(CANONICAL_INPUT),
    });
    const { id } = (await upload.json()) as { id: string };
    const completed = await live.until((e) => e.type === 'job.completed' && e.subject === id);
    expect(completed).toMatchObject({
      specversion: '1.0',
      source: '/playtally/worker',
      datacontenttype: 'application/json',
      data: { job: { id, status: 'succeeded', statistics: { groupsWritten: 4 } } },
    });
    expect(completed.data.job).not.toHaveProperty('resultKey');
    const types = live.events.filter((e) => e.subject === id).map((e) => e.type);
    expect(types[0]).toBe('job.queued');
    expect(types).toContain('job.started');
    expect(types.at(-1)).toBe('job.completed');
  });

  it('streams message.received and then message.consumed', async () => {
    harness = await createHarness();
    const host = await listen(harness);
    const live = await connect(`ws://${host}/v1/events?types=message.`);
    const posted = await fetch(`http://${host}/v1/messages`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ hello: 'live' }),
    });
    const { id } = (await posted.json()) as { id: string };
    await live.until((e) => e.type === 'message.consumed' && e.subject === id);
    const forMessage = live.events.filter((e) => e.subject === id);
    expect(forMessage.map((e) => e.type)).toEqual(['message.received', 'message.consumed']);
    expect(forMessage[1]?.data.message).toMatchObject({
      id,
      status: 'consumed',
      data: { hello: 'live' },
    });
  });

  it('relays bytes as data_base64 and an event without time without one, as the JSON format says', async () => {
    harness = await createHarness({ workers: false });
    const host = await listen(harness);
    const live = await connect(`ws://${host}/v1/events?types=other.`);
    const transport = harness.options.transport as MemoryTransport;
    const attributes = { id: 'b1', source: '/other', type: 'other.bytes', specversion: '1.0' };
    await transport.publishRaw(
      TOPICS.events,
      { ...attributes, datacontenttype: 'application/octet-stream', dataschema: 'urn:s' },
      new Uint8Array([0, 1, 255]),
    );
    const relayed = (await live.until((e) => e.id === 'b1')) as unknown as Record<string, unknown>;
    expect(relayed).toEqual({
      ...attributes,
      datacontenttype: 'application/octet-stream',
      dataschema: 'urn:s',
      data_base64: 'AAH/',
    });
  });

  it('requires the API key when one is set, taking it from ?apiKey or a header', async () => {
    harness = await createHarness({ workers: false, apiKey: 'sesame' });
    const host = await listen(harness);
    await expect(connect(`ws://${host}/v1/events`)).rejects.toThrow('upgrade refused with 401');
    await expect(connect(`ws://${host}/v1/events?apiKey=sesame`)).resolves.toBeDefined();
    await expect(
      connect(`ws://${host}/v1/events`, { 'x-api-key': 'sesame' }),
    ).resolves.toBeDefined();
  });

  it('refuses an upgrade without the key with the same JSON error as every other route', async () => {
    harness = await createHarness({ workers: false, apiKey: 'sesame' });
    const host = await listen(harness);
    const refusal = await new Promise<{ status: number; type: string; body: string; auth: string }>(
      (resolve, reject) => {
        const socket = new WebSocket(`ws://${host}/v1/events`, {
          headers: { 'x-api-key': 'nope' },
        });
        socket.on('error', () => {}); // the refused handshake; what matters is the response
        socket.once('unexpected-response', (_request, response) => {
          let body = '';
          response.on('data', (chunk: Buffer) => {
            body += chunk.toString();
          });
          response.on('end', () =>
            resolve({
              status: response.statusCode ?? 0,
              type: String(response.headers['content-type']),
              body,
              auth: String(response.headers['www-authenticate']),
            }),
          );
        });
        socket.once('open', () => reject(new Error('the upgrade was accepted')));
      },
    );
    expect(refusal.status).toBe(401);
    expect(refusal.type).toBe('application/json');
    expect(refusal.auth).toContain('invalid_token');
    expect(JSON.parse(refusal.body)).toEqual({
      error: { code: 'UNAUTHORIZED', message: 'the API key is not valid', details: null },
    });
  });

  it('answers a plain GET, without an Upgrade header, with 426 and the JSON error', async () => {
    harness = await createHarness({ workers: false });
    const response = await harness.request('/v1/events');
    expect(response.status).toBe(426);
    expect(response.headers.get('upgrade')).toBe('websocket');
    expect(((await response.json()) as { error: { code: string } }).error.code).toBe(
      'UPGRADE_REQUIRED',
    );
  });
});
