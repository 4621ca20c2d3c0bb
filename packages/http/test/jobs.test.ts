import { afterEach, describe, expect, it } from 'vitest';
import {
  CANONICAL_INPUT,
  CANONICAL_OUTPUT,
  createHarness,
  csvForm,
  type ErrorBody,
  type Harness,
  type JobBody,
} from './harness.js';

let harness: Harness | undefined;
afterEach(async () => {
  await harness?.close();
  harness = undefined;
});

async function upload(h: Harness, csv: string, query = '', filename = 'plays.csv') {
  const response = await h.request(`/v1/jobs${query}`, {
    method: 'POST',
    body: csvForm(csv, filename),
  });
  return { response, body: (await response.json()) as JobBody };
}

describe('POST /v1/jobs', () => {
  it('accepts the canonical example as multipart and serves the exact expected result', async () => {
    harness = await createHarness();
    const { response, body } = await upload(harness, CANONICAL_INPUT);
    expect(response.status).toBe(202);
    expect(body).toMatchObject({ status: 'queued', filename: 'plays.csv', onInvalid: 'fail' });
    expect(body.links.self).toBe(`/v1/jobs/${body.id}`);
    expect(response.headers.get('location')).toBe(body.links.self);
    expect(body).not.toHaveProperty('inputKey');

    const job = await harness.waitForJob(body.id);
    expect(job).toMatchObject({ status: 'succeeded', attempts: 1, error: null });
    expect(job.statistics).toMatchObject({ rowsRead: 7, rowsRejected: 0, groupsWritten: 4 });
    expect(job).not.toHaveProperty('resultKey');

    const result = await harness.request(`/v1/jobs/${body.id}/result`);
    expect(result.status).toBe(200);
    expect(result.headers.get('content-type')).toBe('text/csv; charset=utf-8');
    expect(result.headers.get('content-disposition')).toContain('filename="plays-totals.csv"');
    expect(await result.text()).toBe(CANONICAL_OUTPUT);

    // One song, searched on the server: the header and that song's rows only.
    const umbrella = await harness.request(`/v1/jobs/${body.id}/result?song=Umbrella`);
    expect(umbrella.status).toBe(200);
    expect(umbrella.headers.get('content-disposition')).toBeNull();
    expect(await umbrella.text()).toBe(
      'Song,Date,Total Number of Plays for Date\nUmbrella,2020-01-01,150\nUmbrella,2020-01-02,250\n',
    );
    const none = await harness.request(`/v1/jobs/${body.id}/result?song=Nobody`);
    expect(await none.text()).toBe('Song,Date,Total Number of Plays for Date\n');
  });

  it('accepts a raw text/csv body, naming the job after ?filename', async () => {
    harness = await createHarness();
    const response = await harness.request('/v1/jobs?filename=raw.csv', {
      method: 'POST',
      headers: { 'content-type': 'text/csv' },
      body: CANONICAL_INPUT,
    });
    expect(response.status).toBe(202);
    const { id, filename } = (await response.json()) as { id: string; filename: string };
    expect(filename).toBe('raw.csv');
    await harness.waitForJob(id, 'succeeded');
    expect(await (await harness.request(`/v1/jobs/${id}/result`)).text()).toBe(CANONICAL_OUTPUT);
  });

  it('answers 400 when the form has no file', async () => {
    harness = await createHarness();
    const form = new FormData();
    form.append('notes', 'no file here');
    const response = await harness.request('/v1/jobs', { method: 'POST', body: form });
    expect(response.status).toBe(400);
    expect(await response.json()).toMatchObject({
      error: { code: 'VALIDATION_FAILED', message: 'the form has no file in field "file"' },
    });
  });

  it('answers 400 when the request has no body at all', async () => {
    harness = await createHarness();
    const response = await harness.request('/v1/jobs', { method: 'POST' });
    expect(response.status).toBe(400);
    expect(((await response.json()) as ErrorBody).error.code).toBe('VALIDATION_FAILED');
  });

  it('answers 415 for a body that is neither a form nor CSV', async () => {
    harness = await createHarness();
    const response = await harness.request('/v1/jobs', {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: '{}',
    });
    expect(response.status).toBe(415);
    expect(((await response.json()) as ErrorBody).error.code).toBe('UNSUPPORTED_MEDIA_TYPE');
  });

  it('answers 400 for an unknown onInvalid policy', async () => {
    harness = await createHarness();
    const { response, body } = await upload(harness, CANONICAL_INPUT, '?onInvalid=maybe');
    expect(response.status).toBe(400);
    expect(body.error.code).toBe('VALIDATION_FAILED');
  });

  it('answers 413 when Content-Length announces more than the limit, before reading it', async () => {
    harness = await createHarness({ maxUploadBytes: 100 });
    const response = await harness.request('/v1/jobs', {
      method: 'POST',
      headers: { 'content-type': 'text/csv', 'content-length': '5000' },
      body: 'x'.repeat(5000),
    });
    expect(response.status).toBe(413);
    expect(await response.json()).toMatchObject({
      error: { code: 'PAYLOAD_TOO_LARGE', details: { maxBytes: 100 } },
    });
  });

  it('answers 413 when a streamed upload passes the limit, and keeps no job', async () => {
    harness = await createHarness({ maxUploadBytes: 1000 });
    const big = `Song,Date,Number of Plays\n${'Umbrella,2020-01-01,1\n'.repeat(200)}`;
    const multipart = await upload(harness, big);
    expect(multipart.response.status).toBe(413);
    const chunks = new ReadableStream<Uint8Array>({
      start(controller) {
        controller.enqueue(new TextEncoder().encode(big));
        controller.close();
      },
    });
    const raw = await harness.request('/v1/jobs', {
      method: 'POST',
      headers: { 'content-type': 'text/csv' },
      body: chunks,
      duplex: 'half',
    } as RequestInit);
    expect(raw.status).toBe(413);
    const list = (await (await harness.request('/v1/jobs')).json()) as { items: unknown[] };
    expect(list.items).toEqual([]);
  });

  it('fails a job whose header lacks a column, listing the columns it found', async () => {
    harness = await createHarness();
    const { body } = await upload(harness, 'Song,Day,Plays\nUmbrella,2020-01-01,1\n');
    const job = await harness.waitForJob(body.id);
    expect(job.status).toBe('failed');
    const error = job.error as { code: string; message: string };
    expect(error.code).toBe('MISSING_COLUMNS');
    expect(error.message).toContain('Date');
    expect(error.message).toContain('Day');
    expect(error.message).toContain('Plays');
  });

  it('fails a job at its first bad row, naming the line and the reason', async () => {
    harness = await createHarness();
    const csv = 'Song,Date,Number of Plays\nUmbrella,2020-01-01,10\nUmbrella,2020-01-02,12a\n';
    const { body } = await upload(harness, csv);
    const job = await harness.waitForJob(body.id);
    expect(job).toMatchObject({ status: 'failed', error: { code: 'INVALID_ROW' } });
    expect((job.error as { message: string }).message).toMatch(/^line 3: .*"12a"/);
    const result = await harness.request(`/v1/jobs/${body.id}/result`);
    expect(result.status).toBe(409);
    expect(((await result.json()) as ErrorBody).error.details?.status).toBe('failed');
  });

  it('skips and counts bad rows with onInvalid=skip', async () => {
    harness = await createHarness();
    const csv = 'Song,Date,Number of Plays\nUmbrella,2020-01-01,10\nUmbrella,2020-02-30,1\n';
    const { body } = await upload(harness, csv, '?onInvalid=skip');
    expect(body.onInvalid).toBe('skip');
    const job = await harness.waitForJob(body.id);
    expect(job).toMatchObject({ status: 'succeeded', statistics: { rowsRejected: 1 } });
    const text = await (await harness.request(`/v1/jobs/${body.id}/result`)).text();
    expect(text).toBe('Song,Date,Total Number of Plays for Date\nUmbrella,2020-01-01,10\n');
  });

  it('takes onInvalid from a form field that follows the file', async () => {
    harness = await createHarness();
    const form = csvForm('Song,Date,Number of Plays\nA,2020-13-01,1\n', 'x.csv', {
      onInvalid: 'skip',
    });
    const response = await harness.request('/v1/jobs', { method: 'POST', body: form });
    const body = (await response.json()) as { id: string; onInvalid: string };
    expect(body.onInvalid).toBe('skip');
    expect(await harness.waitForJob(body.id)).toMatchObject({ status: 'succeeded' });
  });

  it('keeps only a display name from a file name that looks like a path', async () => {
    harness = await createHarness({ workers: false });
    const { body } = await upload(harness, CANONICAL_INPUT, '', '../../etc/passwd');
    expect(body.filename).toBe('passwd');
  });
});

describe('GET /v1/jobs/:id and its result', () => {
  it('answers 404 for an unknown job, on the job, its result and its cancellation', async () => {
    harness = await createHarness({ workers: false });
    for (const [method, path] of [
      ['GET', '/v1/jobs/nope'],
      ['GET', '/v1/jobs/nope/result'],
      ['DELETE', '/v1/jobs/nope'],
    ] as const) {
      const response = await harness.request(path, { method });
      expect(response.status, `${method} ${path}`).toBe(404);
      expect(((await response.json()) as ErrorBody).error).toMatchObject({ code: 'NOT_FOUND' });
    }
  });

  it('answers 409 with the status while the result is not ready', async () => {
    harness = await createHarness({ workers: false });
    const { body } = await upload(harness, CANONICAL_INPUT);
    const response = await harness.request(`/v1/jobs/${body.id}/result`);
    expect(response.status).toBe(409);
    expect(await response.json()).toMatchObject({
      error: { code: 'CONFLICT', details: { status: 'queued' } },
    });
  });
});

describe('GET /v1/jobs', () => {
  it('pages through jobs newest first', async () => {
    harness = await createHarness({ workers: false });
    const ids: string[] = [];
    for (let i = 0; i < 5; i++)
      ids.push((await upload(harness, CANONICAL_INPUT, '', `f${i}.csv`)).body.id);
    const seen: string[] = [];
    let cursor: string | null = null;
    do {
      const query: string = cursor ? `?limit=2&cursor=${encodeURIComponent(cursor)}` : '?limit=2';
      const page = (await (await harness.request(`/v1/jobs${query}`)).json()) as {
        items: { id: string }[];
        nextCursor: string | null;
      };
      expect(page.items.length).toBeLessThanOrEqual(2);
      seen.push(...page.items.map((job) => job.id));
      cursor = page.nextCursor;
    } while (cursor);
    expect(seen).toEqual([...ids].reverse());
  });

  it('answers 400 for a limit out of range', async () => {
    harness = await createHarness({ workers: false });
    const response = await harness.request('/v1/jobs?limit=0');
    expect(response.status).toBe(400);
    expect(await response.json()).toMatchObject({
      error: { code: 'VALIDATION_FAILED', details: { target: 'query' } },
    });
  });
});

describe('DELETE /v1/jobs/:id', () => {
  it('cancels a queued job, which a worker then skips', async () => {
    harness = await createHarness({ workers: false });
    const { body } = await upload(harness, CANONICAL_INPUT);
    const response = await harness.request(`/v1/jobs/${body.id}`, { method: 'DELETE' });
    expect(response.status).toBe(200);
    expect(await response.json()).toMatchObject({ id: body.id, status: 'cancelled' });
    const result = await harness.request(`/v1/jobs/${body.id}/result`);
    expect(((await result.json()) as ErrorBody).error.details?.status).toBe('cancelled');
    const again = await harness.request(`/v1/jobs/${body.id}`, { method: 'DELETE' });
    expect(again.status).toBe(204);
    expect((await harness.request(`/v1/jobs/${body.id}`)).status).toBe(404);
  });

  it('deletes a finished job with its result, and answers 204', async () => {
    harness = await createHarness();
    const { body } = await upload(harness, CANONICAL_INPUT);
    await harness.waitForJob(body.id, 'succeeded');
    const job = await harness.options.jobs.get(body.id);
    const response = await harness.request(`/v1/jobs/${body.id}`, { method: 'DELETE' });
    expect(response.status).toBe(204);
    expect(await response.text()).toBe('');
    expect((await harness.request(`/v1/jobs/${body.id}`)).status).toBe(404);
    expect((await harness.request(`/v1/jobs/${body.id}/result`)).status).toBe(404);
    expect(await harness.options.blobs.stat(job?.resultKey ?? '')).toBeUndefined();
    expect((await harness.request(`/v1/jobs/${body.id}`, { method: 'DELETE' })).status).toBe(404);
  });
});
