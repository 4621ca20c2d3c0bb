import { readdir } from 'node:fs/promises';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { CANONICAL_INPUT, createHarness, type ErrorBody, type Harness } from './harness.js';

let harness: Harness | undefined;
afterEach(async () => {
  await harness?.close();
  harness = undefined;
});

const encoder = new TextEncoder();
const BOUNDARY = 'playtally-test-boundary';

/** The start of a multipart form whose file part is still being sent. */
const formHead = encoder.encode(
  `--${BOUNDARY}\r\nContent-Disposition: form-data; name="file"; filename="plays.csv"\r\nContent-Type: text/csv\r\n\r\n${CANONICAL_INPUT}`,
);

/** A body that sends `head` (and 64 KiB more rows), then fails as a dropped connection does. */
function abortedBody(): ReadableStream<Uint8Array> {
  return new ReadableStream({
    async start(controller) {
      controller.enqueue(formHead);
      controller.enqueue(encoder.encode('Umbrella,2020-01-01,1\n'.repeat(3000)));
      await new Promise((resolve) => setTimeout(resolve, 20));
      controller.error(new Error('socket hang up'));
    },
  });
}

/** A body that sends `head`, then nothing more, ever. */
function stalledBody(): ReadableStream<Uint8Array> {
  return new ReadableStream({
    start(controller) {
      controller.enqueue(formHead);
    },
  });
}

const multipart = (body: ReadableStream<Uint8Array>): RequestInit =>
  ({
    method: 'POST',
    headers: { 'content-type': `multipart/form-data; boundary=${BOUNDARY}` },
    body,
    duplex: 'half',
  }) as RequestInit;

async function filesIn(directory: string): Promise<string[]> {
  const uploads = await readdir(join(directory, 'uploads')).catch(() => [] as string[]);
  return uploads;
}

describe('uploads that do not finish', () => {
  it('leave no file behind when the client drops the connection, one after another', async () => {
    harness = await createHarness({ workers: false });
    const statuses = new Set<number>();
    for (let n = 0; n < 20; n += 1) {
      const response = await harness.request('/v1/jobs', multipart(abortedBody()));
      statuses.add(response.status);
    }
    expect([...statuses]).toEqual([400]);
    expect(await filesIn(harness.directory)).toEqual([]);
    expect((await harness.options.jobs.list()).items).toEqual([]);
  });

  it('are stopped with 408 once they send nothing for the idle timeout', async () => {
    harness = await createHarness({ workers: false, uploadIdleTimeoutMs: 200 });
    const response = await harness.request('/v1/jobs', multipart(stalledBody()));
    expect(response.status).toBe(408);
    expect(((await response.json()) as ErrorBody).error).toMatchObject({
      code: 'REQUEST_TIMEOUT',
      details: { idleTimeoutMs: 200 },
    });
    expect(await filesIn(harness.directory)).toEqual([]);
  });

  it('answer 503 with Retry-After past the cap of concurrent uploads', async () => {
    harness = await createHarness({
      workers: false,
      maxConcurrentUploads: 2,
      uploadIdleTimeoutMs: 500,
    });
    const held = [
      harness.request('/v1/jobs', multipart(stalledBody())),
      harness.request('/v1/jobs', multipart(stalledBody())),
    ];
    await new Promise((resolve) => setTimeout(resolve, 50));
    const refused = await harness.request('/v1/jobs', {
      method: 'POST',
      headers: { 'content-type': 'text/csv' },
      body: CANONICAL_INPUT,
    });
    expect(refused.status).toBe(503);
    expect(refused.headers.get('retry-after')).toBe('2');
    expect(((await refused.json()) as ErrorBody).error.code).toBe('TOO_MANY_UPLOADS');
    expect((await Promise.all(held)).map((response) => response.status)).toEqual([408, 408]);
    const accepted = await harness.request('/v1/jobs', {
      method: 'POST',
      headers: { 'content-type': 'text/csv' },
      body: CANONICAL_INPUT,
    });
    expect(accepted.status).toBe(202);
  });
});

describe('Idempotency-Key on POST /v1/jobs', () => {
  it('returns the original job for the same upload and refuses another upload with 422', async () => {
    harness = await createHarness({ workers: false });
    const send = (csv: string) =>
      harness!.request('/v1/jobs?filename=plays.csv', {
        method: 'POST',
        headers: { 'content-type': 'text/csv', 'idempotency-key': 'upload-1' },
        body: csv,
      });
    const first = await send(CANONICAL_INPUT);
    expect(first.status).toBe(202);
    const again = await send(CANONICAL_INPUT);
    expect(again.status).toBe(202);
    const { id } = (await first.json()) as { id: string };
    expect(((await again.json()) as { id: string }).id).toBe(id);
    const other = await send(`${CANONICAL_INPUT}Umbrella,2020-01-03,1\n`);
    expect(other.status).toBe(422);
    expect(((await other.json()) as ErrorBody).error.code).toBe('IDEMPOTENCY_KEY_REUSED');
    expect((await harness.options.jobs.list()).items).toHaveLength(1);
    expect(await filesIn(harness.directory)).toHaveLength(1);
  });
});
