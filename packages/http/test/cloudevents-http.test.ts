import { HTTP, CloudEvent as SdkEvent } from 'cloudevents';
import { afterEach, describe, expect, it } from 'vitest';
import { createHarness, type ErrorBody, type Harness } from './harness.js';

let harness: Harness | undefined;
afterEach(async () => {
  await harness?.close();
  harness = undefined;
});

interface Stored {
  id: string;
  type: string;
  source: string;
  data: unknown;
}

function send(h: Harness, message: { headers: Record<string, unknown>; body: unknown }) {
  return h.request('/v1/messages', {
    method: 'POST',
    headers: message.headers as Record<string, string>,
    body: typeof message.body === 'string' ? message.body : JSON.stringify(message.body),
  });
}

describe('POST /v1/messages with the CloudEvents HTTP binding, as the SDK sends it', () => {
  const event = (id: string, data: unknown = { v: 1 }) =>
    new SdkEvent({
      id,
      source: 'urn:sensor:7',
      type: 'reading',
      time: '2024-04-05T17:31:00.000Z',
      datacontenttype: 'application/json',
      data,
    });

  it('keeps binary mode ce-id and ce-time, and a repeated ce-id returns the stored message', async () => {
    harness = await createHarness({ workers: false });
    const first = await send(harness, HTTP.binary(event('bin-1')));
    const again = await send(harness, HTTP.binary(event('bin-1')));
    expect([first.status, again.status]).toEqual([202, 202]);
    const stored = (await first.json()) as Stored;
    expect(await again.json()).toEqual(stored);
    expect(stored).toMatchObject({ type: 'reading', source: 'urn:sensor:7', data: { v: 1 } });
    expect((await harness.options.messages.list()).items).toHaveLength(1);
  });

  it('parses structured mode instead of storing the envelope, idempotent by id and source', async () => {
    harness = await createHarness({ workers: false });
    const message = HTTP.structured(event('str-1', { v: 2 }));
    expect(message.headers['content-type']).toMatch(/^application\/cloudevents\+json/);
    const first = await send(harness, message);
    expect(first.status).toBe(202);
    const stored = (await first.json()) as Stored;
    expect(stored).toMatchObject({ type: 'reading', source: 'urn:sensor:7', data: { v: 2 } });
    expect(first.headers.get('location')).toBe(`/v1/messages/${stored.id}`);
    expect(await (await send(harness, message)).json()).toEqual(stored);
    // The same id in binary mode is the same message.
    expect(
      ((await (await send(harness, HTTP.binary(event('str-1', { v: 2 })))).json()) as Stored).id,
    ).toBe(stored.id);
    expect((await harness.options.messages.list()).items).toHaveLength(1);
  });

  it('accepts batched mode, answering with one message per event', async () => {
    harness = await createHarness({ workers: false });
    const batch = [event('b-1', { n: 1 }), event('b-2', { n: 2 })];
    const request = {
      headers: { 'content-type': 'application/cloudevents-batch+json' },
      body: JSON.stringify(batch),
    };
    const response = await send(harness, request);
    expect(response.status).toBe(202);
    const stored = (await response.json()) as Stored[];
    expect(stored.map((m) => m.data)).toEqual([{ n: 1 }, { n: 2 }]);
    const again = (await (await send(harness, request)).json()) as Stored[];
    expect(again.map((m) => m.id)).toEqual(stored.map((m) => m.id));
    expect((await harness.options.messages.list()).items).toHaveLength(2);
  });

  it('refuses a structured body that is not a CloudEvent, and a batch with one bad event, storing nothing', async () => {
    harness = await createHarness({ workers: false });
    const structured = await send(harness, {
      headers: { 'content-type': 'application/cloudevents+json' },
      body: { hello: 'world' },
    });
    expect(structured.status).toBe(400);
    expect(((await structured.json()) as ErrorBody).error.message).toMatch(/missing attribute/);
    const batch = await send(harness, {
      headers: { 'content-type': 'application/cloudevents-batch+json' },
      body: [event('ok').toJSON(), { ...event('bad').toJSON(), specversion: '0.3' }],
    });
    expect(batch.status).toBe(400);
    expect(((await batch.json()) as ErrorBody).error.message).toMatch(/event 1 of the batch/);
    const notArray = await send(harness, {
      headers: { 'content-type': 'application/cloudevents-batch+json' },
      body: event('x').toJSON(),
    });
    expect(notArray.status).toBe(400);
    expect((await harness.options.messages.list()).items).toEqual([]);
  });
});
