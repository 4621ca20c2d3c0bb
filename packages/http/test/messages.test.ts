import { createMessageSchemaRegistry } from '@playtally/service';
import { afterEach, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { createHarness, type ErrorBody, type Harness, type PageBody } from './harness.js';

let harness: Harness | undefined;
afterEach(async () => {
  await harness?.close();
  harness = undefined;
});

function post(h: Harness, body: string, headers: Record<string, string> = {}, query = '') {
  return h.request(`/v1/messages${query}`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...headers },
    body,
  });
}

async function waitForConsumed(h: Harness, id: string) {
  const deadline = Date.now() + 10_000;
  for (;;) {
    const message = (await (await h.request(`/v1/messages/${id}`)).json()) as Record<
      string,
      unknown
    >;
    if (message.status === 'consumed') return message;
    if (Date.now() > deadline) throw new Error(`message ${id} never consumed`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

describe('POST /v1/messages', () => {
  it('stores any JSON object as received, and the consumer marks it consumed', async () => {
    harness = await createHarness();
    const response = await post(harness, JSON.stringify({ hello: 'world', n: [1, 2] }));
    expect(response.status).toBe(202);
    const stored = (await response.json()) as Record<string, unknown>;
    expect(stored).toMatchObject({
      type: 'message',
      data: { hello: 'world', n: [1, 2] },
      status: 'received',
      consumedAt: null,
    });
    expect(response.headers.get('location')).toBe(`/v1/messages/${stored.id}`);
    const consumed = await waitForConsumed(harness, String(stored.id));
    expect(consumed.consumedAt).toEqual(expect.any(String));
    expect(consumed.data).toEqual({ hello: 'world', n: [1, 2] });
  });

  it('answers 400 with the parser error for a body that is not JSON', async () => {
    harness = await createHarness();
    const response = await post(harness, '{"hello": ');
    expect(response.status).toBe(400);
    const { error } = (await response.json()) as ErrorBody;
    expect(error.code).toBe('VALIDATION_FAILED');
    expect(error.message).toMatch(/not valid JSON/);
  });

  it('answers 400 with zod issues for JSON that is not an object', async () => {
    harness = await createHarness();
    const response = await post(harness, '[1, 2, 3]');
    expect(response.status).toBe(400);
    const { error } = (await response.json()) as ErrorBody;
    expect(error.code).toBe('VALIDATION_FAILED');
    expect(error.details?.issues).toEqual([
      expect.objectContaining({ path: [], code: 'invalid_type' }),
    ]);
  });

  it('validates a message against the schema registered for its type', async () => {
    const schemas = createMessageSchemaRegistry().register(
      'greeting',
      z.object({ name: z.string().min(1), times: z.number().int().default(1) }),
    );
    harness = await createHarness({ messageSchemas: schemas });
    const bad = await post(harness, JSON.stringify({ name: '' }), {}, '?type=greeting');
    expect(bad.status).toBe(400);
    const { error } = (await bad.json()) as ErrorBody;
    expect(error.details).toMatchObject({ type: 'greeting' });
    expect(error.details?.issues).toEqual([
      expect.objectContaining({ path: ['name'], code: 'too_small' }),
    ]);
    const good = await post(harness, JSON.stringify({ name: 'Ada' }), { 'ce-type': 'greeting' });
    expect(good.status).toBe(202);
    expect(await good.json()).toMatchObject({ type: 'greeting', data: { name: 'Ada', times: 1 } });
  });

  it('answers 413 for a body past the limit', async () => {
    harness = await createHarness({ maxMessageBytes: 1024 });
    const response = await post(harness, JSON.stringify({ text: 'x'.repeat(2000) }));
    expect(response.status).toBe(413);
    expect(((await response.json()) as ErrorBody).error.code).toBe('PAYLOAD_TOO_LARGE');
  });

  it('accepts 64 KiB by default and refuses more', async () => {
    harness = await createHarness({ workers: false });
    const fits = JSON.stringify({ text: 'x'.repeat(64 * 1024 - 20) });
    expect((await post(harness, fits)).status).toBe(202);
    const tooBig = JSON.stringify({ text: 'x'.repeat(64 * 1024) });
    expect((await post(harness, tooBig)).status).toBe(413);
  });

  it('answers 415 for a body that is not JSON by its content type', async () => {
    harness = await createHarness();
    const response = await post(harness, 'hello', { 'content-type': 'text/plain' });
    expect(response.status).toBe(415);
    expect(((await response.json()) as ErrorBody).error.code).toBe('UNSUPPORTED_MEDIA_TYPE');
  });
});

describe('GET /v1/messages', () => {
  it('lists messages newest first, page by page, and finds each by id', async () => {
    harness = await createHarness({ workers: false });
    const ids: string[] = [];
    for (let i = 0; i < 5; i++) {
      ids.push(((await (await post(harness, JSON.stringify({ i }))).json()) as { id: string }).id);
    }
    const first = (await (await harness.request('/v1/messages?limit=3')).json()) as PageBody;
    expect(first.items.map((m: { id: string }) => m.id)).toEqual(ids.slice(2).reverse());
    const second = (await (
      await harness.request(
        `/v1/messages?limit=3&cursor=${encodeURIComponent(String(first.nextCursor))}`,
      )
    ).json()) as PageBody;
    expect(second.items.map((m: { id: string }) => m.id)).toEqual(ids.slice(0, 2).reverse());
    expect(second.nextCursor).toBeNull();
    const one = await harness.request(`/v1/messages/${ids[0]}`);
    expect(await one.json()).toMatchObject({ id: ids[0], data: { i: 0 } });
  });

  it('answers 404 for an unknown message', async () => {
    harness = await createHarness({ workers: false });
    const response = await harness.request('/v1/messages/unknown');
    expect(response.status).toBe(404);
    expect(((await response.json()) as ErrorBody).error.code).toBe('NOT_FOUND');
  });
});
