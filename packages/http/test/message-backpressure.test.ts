import { createMemoryMessageStore, type MessageStore } from '@playtally/service';
import { afterEach, describe, expect, it } from 'vitest';
import { createHarness, type ErrorBody, type Harness } from './harness.js';

let harness: Harness | undefined;
afterEach(async () => {
  await harness?.close();
  harness = undefined;
});

/** A message store whose commits wait until `release()`: the database is slow. */
function slowStore(): { messages: MessageStore; release(): void; waiting(): number } {
  const real = createMemoryMessageStore();
  let open: () => void = () => {};
  let gate = new Promise<void>((resolve) => {
    open = resolve;
  });
  let waiting = 0;
  return {
    messages: {
      ...real,
      async insertMany(writes) {
        waiting += writes.length;
        await gate;
        return real.insertMany(writes);
      },
    },
    release() {
      open();
      gate = Promise.resolve();
    },
    waiting: () => waiting,
  };
}

const post = (h: Harness, n: number) =>
  h.request('/v1/messages', {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ n }),
  });

describe('POST /v1/messages under overload', () => {
  it('answers 503 with Retry-After once the writes waiting for the database reach the limit', async () => {
    const slow = slowStore();
    harness = await createHarness({ messages: slow.messages, maxPendingMessageWrites: 2 });
    const h = harness;
    const first = [post(h, 1), post(h, 2)];
    // Both are waiting for their commit before the third arrives.
    while (slow.waiting() < 2) await new Promise((resolve) => setTimeout(resolve, 5));

    const refused = await post(h, 3);
    expect(refused.status).toBe(503);
    expect(refused.headers.get('retry-after')).toBe('1');
    const body = (await refused.json()) as ErrorBody;
    expect(body.error).toMatchObject({
      code: 'BACKLOG_FULL',
      details: { component: 'database', waiting: 2, limit: 2, retryAfterSeconds: 1 },
    });

    // The database catches up: the waiting requests are accepted, and new ones are too.
    slow.release();
    expect((await Promise.all(first)).map((response) => response.status)).toEqual([202, 202]);
    expect((await post(h, 4)).status).toBe(202);
    const list = (await (await h.request('/v1/messages')).json()) as { items: unknown[] };
    expect(list.items).toHaveLength(3);
  });
});
