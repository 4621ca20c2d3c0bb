import { afterEach, describe, expect, it } from 'vitest';
import { createHarness, type ErrorBody, type Harness } from './harness.js';

let harness: Harness | undefined;
afterEach(async () => {
  await harness?.close();
  harness = undefined;
});

function post(
  h: Harness,
  body: string | Uint8Array<ArrayBuffer>,
  headers: Record<string, string> = {},
) {
  return h.request('/v1/messages', {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...headers },
    body,
  });
}

async function refusal(response: Response): Promise<ErrorBody['error']> {
  expect(response.status).toBe(400);
  return ((await response.json()) as ErrorBody).error;
}

describe('JSON at the edge of POST /v1/messages', () => {
  it('refuses nesting deeper than 64 levels with 400, and accepts 64', async () => {
    harness = await createHarness({ workers: false });
    const nested = (depth: number) => `{"a":${'['.repeat(depth - 1)}1${']'.repeat(depth - 1)}}`;
    expect((await post(harness, nested(64))).status).toBe(202);
    const error = await refusal(await post(harness, nested(10_000)));
    expect(error).toMatchObject({ code: 'VALIDATION_FAILED' });
    expect(error.message).toContain('at most 64');
  });

  it('refuses numbers that are not finite instead of storing null', async () => {
    harness = await createHarness({ workers: false });
    const error = await refusal(await post(harness, '{"big":1e999999}'));
    expect(error.message).toContain('not a finite double');
    expect((await harness.options.messages.list()).items).toEqual([]);
  });

  it('refuses invalid UTF-8 instead of replacing it with U+FFFD', async () => {
    harness = await createHarness({ workers: false });
    const bytes = new Uint8Array([...new TextEncoder().encode('{"s":"'), 0xff, 0xfe, 0x22, 0x7d]);
    expect((await refusal(await post(harness, bytes))).message).toContain('not valid UTF-8');
  });

  it('refuses a __proto__ key rather than dropping it silently', async () => {
    harness = await createHarness({ workers: false });
    const error = await refusal(await post(harness, '{"ok":1,"nested":{"__proto__":{"x":1}}}'));
    expect(error.message).toContain('__proto__');
  });

  it('keeps strings that merely look like the refused things', async () => {
    harness = await createHarness({ workers: false });
    const body = { text: '[[[[{"__proto__": 1e999}]]]]', deep: { deeper: { deepest: [1, 2] } } };
    const response = await post(harness, JSON.stringify(body));
    expect(response.status).toBe(202);
    expect(((await response.json()) as { data: unknown }).data).toEqual(body);
  });
});

describe('CloudEvents binary mode and Idempotency-Key on POST /v1/messages', () => {
  it('keeps a repeated ce-id from the same ce-source as one message', async () => {
    harness = await createHarness({ workers: false });
    const headers = {
      'ce-id': 'A234-1234-1234',
      'ce-source': 'urn:sensor:7',
      'ce-time': '2024-04-05T17:31:00Z',
      'ce-type': 'reading',
      'ce-specversion': '1.0',
    };
    const first = await post(harness, '{"v":1}', headers);
    const again = await post(harness, '{"v":1}', headers);
    expect([first.status, again.status]).toEqual([202, 202]);
    expect(await again.json()).toEqual(await first.json());
    expect((await harness.options.messages.list()).items).toHaveLength(1);
  });

  it('refuses a reused Idempotency-Key with another body with 422', async () => {
    harness = await createHarness({ workers: false });
    const key = { 'idempotency-key': '"key-7"' };
    const first = await post(harness, '{"v":1}', key);
    const again = await post(harness, '{"v":1}', key);
    expect(((await again.json()) as { id: string }).id).toBe(
      ((await first.json()) as { id: string }).id,
    );
    const other = await post(harness, '{"v":2}', key);
    expect(other.status).toBe(422);
    expect(((await other.json()) as ErrorBody).error.code).toBe('IDEMPOTENCY_KEY_REUSED');
  });
});
