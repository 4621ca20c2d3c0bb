import { afterEach, describe, expect, it } from 'vitest';
import {
  CANONICAL_INPUT,
  createHarness,
  csvForm,
  type ErrorBody,
  type Harness,
} from './harness.js';

let harness: Harness | undefined;
afterEach(async () => {
  await harness?.close();
  harness = undefined;
});

async function errorOf(response: Response): Promise<ErrorBody['error'] & { status: number }> {
  return { status: response.status, ...((await response.json()) as ErrorBody).error };
}

describe('error answers say what is wrong, as a person would', () => {
  it('names a missing content type instead of "not no content type"', async () => {
    harness = await createHarness({ workers: false });
    const upload = await errorOf(
      await harness.request('/v1/jobs', { method: 'POST', body: new Uint8Array([1]) }),
    );
    expect(upload).toMatchObject({ status: 415, code: 'UNSUPPORTED_MEDIA_TYPE' });
    expect(upload.message).toBe(
      'the request has no Content-Type: send the CSV as multipart/form-data (field "file") or as a text/csv body',
    );
    const message = await errorOf(
      await harness.request('/v1/messages', {
        method: 'POST',
        body: new TextEncoder().encode('{}'),
      }),
    );
    expect(message.message).toBe(
      'the request has no Content-Type: send the message as application/json',
    );
  });

  it('says a cancelled job "was cancelled and has no result"', async () => {
    harness = await createHarness({ workers: false });
    const created = await harness.request('/v1/jobs', {
      method: 'POST',
      body: csvForm(CANONICAL_INPUT),
    });
    const { id } = (await created.json()) as { id: string };
    await harness.request(`/v1/jobs/${id}`, { method: 'DELETE' });
    const result = await errorOf(await harness.request(`/v1/jobs/${id}/result`));
    expect(result).toMatchObject({ status: 409, code: 'CONFLICT' });
    expect(result.message).toBe(`job ${id} was cancelled and has no result`);
  });

  it('says a message must be a JSON object, not an array', async () => {
    harness = await createHarness({ workers: false });
    const answer = await errorOf(
      await harness.request('/v1/messages', {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: '[1, 2]',
      }),
    );
    expect(answer).toMatchObject({ status: 400, code: 'VALIDATION_FAILED' });
    expect(answer.message).toBe(
      'message of type "message" is invalid: a message must be a JSON object, not an array',
    );
  });

  it('says what a limit must be, without "expected number, received NaN"', async () => {
    harness = await createHarness({ workers: false });
    for (const [query, said] of [
      ['limit=abc', 'invalid query: limit must be a whole number from 1 to 500'],
      ['limit=0', 'invalid query: limit must be a whole number from 1 to 500, got 0'],
    ]) {
      const answer = await errorOf(await harness.request(`/v1/jobs?${query}`));
      expect(answer).toMatchObject({ status: 400, code: 'VALIDATION_FAILED', message: said });
    }
  });

  it('answers a bad cursor with VALIDATION_FAILED, like every other bad query', async () => {
    harness = await createHarness({ workers: false });
    for (const list of ['/v1/jobs', '/v1/messages']) {
      const answer = await errorOf(await harness.request(`${list}?cursor=not-a-cursor`));
      expect(answer).toMatchObject({
        status: 400,
        code: 'VALIDATION_FAILED',
        message: 'cursor must be the nextCursor of a previous page, passed unchanged',
      });
    }
  });

  it('refuses a query parameter a list does not take, instead of ignoring a filter', async () => {
    harness = await createHarness({ workers: false });
    const answer = await errorOf(await harness.request('/v1/messages?type=order.created'));
    expect(answer).toMatchObject({
      status: 400,
      code: 'VALIDATION_FAILED',
      message: 'invalid query: this list takes only limit and cursor, not "type"',
    });
    expect((await harness.request('/v1/messages?limit=5&apiKey=')).status).toBe(200);
  });
});

describe('uploads', () => {
  it('refuses an empty body up front with 400, keeping nothing', async () => {
    harness = await createHarness({ workers: false });
    const raw = await errorOf(
      await harness.request('/v1/jobs', {
        method: 'POST',
        headers: { 'content-type': 'text/csv' },
        body: '',
      }),
    );
    const form = await errorOf(
      await harness.request('/v1/jobs', { method: 'POST', body: csvForm('') }),
    );
    for (const answer of [raw, form]) {
      expect(answer).toMatchObject({
        status: 400,
        code: 'VALIDATION_FAILED',
        message:
          'the upload is empty: send a CSV file with a header row (Song,Date,Number of Plays)',
      });
    }
    const listed = (await (await harness.request('/v1/jobs')).json()) as { items: unknown[] };
    expect(listed.items).toEqual([]);
  });

  it('reports how far a failed job got: the bytes read and the rows up to the failing line', async () => {
    harness = await createHarness();
    const csv = 'Song,Date,Number of Plays\nUmbrella,2020-01-01,1\nUmbrella,2020-01-01,12a\n';
    const created = await harness.request('/v1/jobs', { method: 'POST', body: csvForm(csv) });
    const { id } = (await created.json()) as { id: string };
    const job = (await harness.waitForJob(id)) as {
      status: string;
      error: { message: string };
      progress: { bytesRead: number; totalBytes: number; rowsRead: number };
    };
    expect(job.status).toBe('failed');
    expect(job.error.message).toMatch(/^line 3: /);
    expect(job.progress).toEqual({ bytesRead: csv.length, totalBytes: csv.length, rowsRead: 2 });
  });
});
